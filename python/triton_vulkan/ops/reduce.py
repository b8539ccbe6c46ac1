"""Reductions over the last dimension of a contiguous tensor on the tvk device as Triton
kernels: sum and mean (dim, keepdim; no dtype), amax/amin, and max/min with their indices (the
first occurrence; NaN wins, as in ATen), over float16, bfloat16 and float32 with float32
accumulation. Other dimensions, dtypes and layouts keep ATen's semantics through the CPU."""
import triton
import triton.language as tl

from .common import floats, grid_rows, kernels_usable, on_cpu, run_kernel

BLOCK = 1024


@triton.jit
def _max_nan(a, b):
    return tl.maximum(a, b, propagate_nan=tl.PropagateNan.ALL)


@triton.jit
def _row_reduce_kernel(x_ptr, out_ptr, idx_ptr, rows, cols, scale,
                       OP: tl.constexpr, INDEX: tl.constexpr, BLOCK: tl.constexpr):
    for row in range(tl.program_id(0), rows, tl.num_programs(0)):
        base = x_ptr + row.to(tl.int64) * cols
        if OP == "sum":
            acc = tl.zeros([BLOCK], dtype=tl.float32)
            for c in range(0, cols, BLOCK):
                offs = c + tl.arange(0, BLOCK)
                acc += tl.load(base + offs, mask=offs < cols, other=0.0).to(tl.float32)
            r = tl.sum(acc) * scale
        else:
            # min is the max of the negation; NaN propagates (maximumf), as ATen's max/min do
            acc = tl.full([BLOCK], float("-inf"), tl.float32)
            for c in range(0, cols, BLOCK):
                offs = c + tl.arange(0, BLOCK)
                v = tl.load(base + offs, mask=offs < cols, other=0.0).to(tl.float32)
                if OP == "min":
                    v = -v
                acc = _max_nan(acc, tl.where(offs < cols, v, float("-inf")))
            m = tl.reduce(acc, 0, _max_nan)
            r = -m if OP == "min" else m
            if INDEX:
                first = tl.full([BLOCK], 2**31 - 1, tl.int32)
                for c in range(0, cols, BLOCK):
                    offs = c + tl.arange(0, BLOCK)
                    v = tl.load(base + offs, mask=offs < cols, other=0.0).to(tl.float32)
                    if OP == "min":
                        v = -v
                    hit = (offs < cols) & ((v == m) | ((v != v) & (m != m)))
                    first = tl.minimum(first, tl.where(hit, offs, 2**31 - 1))
                tl.store(idx_ptr + row, tl.min(first).to(tl.int64))
        tl.store(out_ptr + row, r.to(out_ptr.dtype.element_ty))


def _last_dim(x, dim):
    """True when dim names only x's last dimension."""
    if isinstance(dim, (list, tuple)):
        if len(dim) != 1:
            return False
        dim = dim[0]
    return x.dim() > 0 and dim is not None and dim % x.dim() == x.dim() - 1


def _usable(torch, x, dim):
    return (kernels_usable() and x.dtype in floats(torch) and x.is_contiguous() and _last_dim(x, dim)
            and x.shape[-1] > 0 and x.shape[-1] < 2**31)


def _reduce(torch, x, op, keepdim, scale=1.0, index=False):
    cols = x.shape[-1]
    rows = x.numel() // cols
    shape = list(x.shape[:-1]) + ([1] if keepdim else [])
    out = torch.empty(shape, dtype=x.dtype, device=x.device)
    idx = torch.empty(shape, dtype=torch.int64, device=x.device) if index else out
    if rows and not run_kernel(op, lambda: _row_reduce_kernel[(grid_rows(rows),)](
            x, out, idx, rows, cols, float(scale), OP=op, INDEX=index, BLOCK=BLOCK, num_warps=4)):
        return None
    return (out, idx) if index else out


def register(torch):
    """Registers the kernels for the PrivateUse1 dispatch key (the tvk device)."""
    lib = torch.library.Library("aten", "IMPL")
    aten = torch.ops.aten

    def sum_dim(x, dim, keepdim=False, *, dtype=None):
        r = _reduce(torch, x, "sum", keepdim) if dtype is None and _usable(torch, x, dim) else None
        return r if r is not None else on_cpu(torch, aten.sum.dim_IntList, (x, dim, keepdim), {"dtype": dtype})

    def mean_dim(x, dim, keepdim=False, *, dtype=None):
        r = _reduce(torch, x, "sum", keepdim, 1.0 / x.shape[-1]) if dtype is None and _usable(torch, x, dim) else None
        return r if r is not None else on_cpu(torch, aten.mean.dim, (x, dim, keepdim), {"dtype": dtype})

    def extreme(op, aten_op, index):
        def impl(x, dim=(), keepdim=False):
            r = _reduce(torch, x, op, keepdim, index=index) if _usable(torch, x, dim) else None
            if r is not None:
                return tuple(r) if index else r
            return on_cpu(torch, aten_op, (x, dim, keepdim))
        return impl

    lib.impl("sum.dim_IntList", sum_dim, "PrivateUse1")
    lib.impl("mean.dim", mean_dim, "PrivateUse1")
    lib.impl("amax", extreme("max", aten.amax.default, False), "PrivateUse1")
    lib.impl("amin", extreme("min", aten.amin.default, False), "PrivateUse1")
    lib.impl("max.dim", extreme("max", aten.max.dim, True), "PrivateUse1")
    lib.impl("min.dim", extreme("min", aten.min.dim, True), "PrivateUse1")
    return lib
