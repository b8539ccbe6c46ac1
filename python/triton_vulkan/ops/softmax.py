"""softmax and log_softmax over the last dimension of a contiguous tensor on the tvk device, and
their backward, as Triton kernels: one row per program (programs stride over the rows), any row
length (an online max and sum in float32 over blocks of the row, then a second pass that writes).
float16, bfloat16 and float32, and half_to_float; other cases keep ATen's semantics through the
CPU."""
import triton
import triton.language as tl

from .common import floats, grid_rows, kernels_usable, on_cpu, run_kernel

BLOCK = 1024


@triton.jit
def _softmax_kernel(x_ptr, out_ptr, rows, cols, LOG: tl.constexpr, BLOCK: tl.constexpr):
    for row in range(tl.program_id(0), rows, tl.num_programs(0)):
        base = row.to(tl.int64) * cols
        m = tl.full([BLOCK], float("-inf"), tl.float32)
        s = tl.zeros([BLOCK], dtype=tl.float32)
        for c in range(0, cols, BLOCK):
            offs = c + tl.arange(0, BLOCK)
            v = tl.load(x_ptr + base + offs, mask=offs < cols, other=float("-inf")).to(tl.float32)
            m_new = tl.maximum(m, v, propagate_nan=tl.PropagateNan.ALL)
            # exp(m - m_new) rescales the running sum; a lane still at -inf has nothing to rescale
            s = tl.where(m_new == float("-inf"), s, s * tl.exp(m - m_new) + tl.exp(v - m_new))
            m = m_new
        row_max = tl.max(m, 0)
        total = tl.sum(tl.where(m == float("-inf"), 0.0, s * tl.exp(m - row_max)), 0)
        for c in range(0, cols, BLOCK):
            offs = c + tl.arange(0, BLOCK)
            v = tl.load(x_ptr + base + offs, mask=offs < cols, other=0.0).to(tl.float32)
            if LOG:
                r = (v - row_max) - tl.log(total)
            else:
                r = tl.exp(v - row_max) / total
            tl.store(out_ptr + base + offs, r.to(out_ptr.dtype.element_ty), mask=offs < cols)


@triton.jit
def _softmax_backward_kernel(g_ptr, y_ptr, out_ptr, rows, cols, LOG: tl.constexpr, BLOCK: tl.constexpr):
    # softmax: dx = y * (g - sum(g * y)); log_softmax: dx = g - exp(y) * sum(g)
    for row in range(tl.program_id(0), rows, tl.num_programs(0)):
        base = row.to(tl.int64) * cols
        acc = tl.zeros([BLOCK], dtype=tl.float32)
        for c in range(0, cols, BLOCK):
            offs = c + tl.arange(0, BLOCK)
            g = tl.load(g_ptr + base + offs, mask=offs < cols, other=0.0).to(tl.float32)
            if LOG:
                acc += g
            else:
                acc += g * tl.load(y_ptr + base + offs, mask=offs < cols, other=0.0).to(tl.float32)
        dot = tl.sum(acc, 0)
        for c in range(0, cols, BLOCK):
            offs = c + tl.arange(0, BLOCK)
            g = tl.load(g_ptr + base + offs, mask=offs < cols, other=0.0).to(tl.float32)
            y = tl.load(y_ptr + base + offs, mask=offs < cols, other=0.0).to(tl.float32)
            if LOG:
                r = g - tl.exp(y) * dot
            else:
                r = y * (g - dot)
            tl.store(out_ptr + base + offs, r.to(out_ptr.dtype.element_ty), mask=offs < cols)


def _rows(x):
    """(rows, row length) of a tensor _usable accepted (a last dimension of at least 1)."""
    return x.numel() // x.shape[-1], x.shape[-1]


def _usable(torch, dim, *ts):
    x = ts[0]
    return (kernels_usable() and all(t.dtype in floats(torch) and t.is_contiguous() and t.shape == x.shape
                                     for t in ts)
            and x.dim() > 0 and dim % x.dim() == x.dim() - 1 and x.shape[-1] > 0)


def register(torch):
    """Registers the kernels for the PrivateUse1 dispatch key (the tvk device)."""
    lib = torch.library.Library("aten", "IMPL")
    aten = torch.ops.aten

    def forward(log, aten_op):
        def impl(x, dim, half_to_float):
            if _usable(torch, dim, x) and (not half_to_float or x.dtype == torch.float16):
                out = torch.empty(x.shape, dtype=torch.float32 if half_to_float else x.dtype, device=x.device)
                rows, cols = _rows(x)
                if not rows or run_kernel("softmax", lambda: _softmax_kernel[(grid_rows(rows),)](
                        x, out, rows, cols, LOG=log, BLOCK=BLOCK, num_warps=4)):
                    return out
            return on_cpu(torch, aten_op, (x, dim, half_to_float))
        return impl

    def backward(log, aten_op):
        def impl(grad, y, dim, input_dtype):
            if _usable(torch, dim, grad, y) and input_dtype in floats(torch):
                out = torch.empty(grad.shape, dtype=input_dtype, device=grad.device)
                rows, cols = _rows(grad)
                if not rows or run_kernel("softmax backward", lambda: _softmax_backward_kernel[(grid_rows(rows),)](
                        grad, y, out, rows, cols, LOG=log, BLOCK=BLOCK, num_warps=4)):
                    return out
            return on_cpu(torch, aten_op, (grad, y, dim, input_dtype))
        return impl

    lib.impl("_softmax", forward(False, aten._softmax.default), "PrivateUse1")
    lib.impl("_log_softmax", forward(True, aten._log_softmax.default), "PrivateUse1")
    lib.impl("_softmax_backward_data", backward(False, aten._softmax_backward_data.default), "PrivateUse1")
    lib.impl("_log_softmax_backward_data", backward(True, aten._log_softmax_backward_data.default), "PrivateUse1")
    return lib
