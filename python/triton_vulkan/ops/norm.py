"""native_layer_norm and its backward on the tvk device as Triton kernels, over the trailing
(normalized) dimensions of a contiguous tensor: float32 statistics and accumulation for every
dtype (as GPU kernels compute them), results in the dtypes ATen's meta kernel gives (mean and
rstd float32 for half/bf16 inputs). The backward's weight and bias gradients are column sums:
partial sums over row slices, then a sum of the partials. Other cases go to opmath.py's float32
CPU path."""
import math

import triton
import triton.language as tl

from .common import floats, grid_rows, kernels_usable, meta_results, run_kernel

BLOCK = 1024
ROW_SLICES = 64   # programs along the rows in the weight/bias gradient (partial sums each)
BLOCK_COLS = 64


@triton.jit
def _ln_forward_kernel(x_ptr, w_ptr, b_ptr, y_ptr, mean_ptr, rstd_ptr, rows, n, eps,
                       HAS_W: tl.constexpr, HAS_B: tl.constexpr, BLOCK: tl.constexpr):
    for row in range(tl.program_id(0), rows, tl.num_programs(0)):
        base = row.to(tl.int64) * n
        acc = tl.zeros([BLOCK], dtype=tl.float32)
        for c in range(0, n, BLOCK):
            offs = c + tl.arange(0, BLOCK)
            acc += tl.load(x_ptr + base + offs, mask=offs < n, other=0.0).to(tl.float32)
        mean = tl.sum(acc, 0) / n
        acc = tl.zeros([BLOCK], dtype=tl.float32)
        for c in range(0, n, BLOCK):
            offs = c + tl.arange(0, BLOCK)
            d = tl.load(x_ptr + base + offs, mask=offs < n, other=0.0).to(tl.float32) - mean
            acc += tl.where(offs < n, d * d, 0.0)
        rstd = 1.0 / tl.sqrt_rn(tl.sum(acc, 0) / n + eps)
        tl.store(mean_ptr + row, mean)
        tl.store(rstd_ptr + row, rstd)
        for c in range(0, n, BLOCK):
            offs = c + tl.arange(0, BLOCK)
            m = offs < n
            y = (tl.load(x_ptr + base + offs, mask=m, other=0.0).to(tl.float32) - mean) * rstd
            if HAS_W:
                y = y * tl.load(w_ptr + offs, mask=m, other=0.0).to(tl.float32)
            if HAS_B:
                y = y + tl.load(b_ptr + offs, mask=m, other=0.0).to(tl.float32)
            tl.store(y_ptr + base + offs, y.to(y_ptr.dtype.element_ty), mask=m)


@triton.jit
def _xhat_wdy(x_ptr, dy_ptr, w_ptr, base, offs, m, mean, rstd, HAS_W: tl.constexpr):
    """A row block's normalized input and weighted gradient, in float32."""
    xhat = (tl.load(x_ptr + base + offs, mask=m, other=0.0).to(tl.float32) - mean) * rstd
    wdy = tl.load(dy_ptr + base + offs, mask=m, other=0.0).to(tl.float32)
    if HAS_W:
        wdy = wdy * tl.load(w_ptr + offs, mask=m, other=0.0).to(tl.float32)
    return xhat, wdy


@triton.jit
def _ln_dx_kernel(dy_ptr, x_ptr, w_ptr, mean_ptr, rstd_ptr, dx_ptr, rows, n,
                  HAS_W: tl.constexpr, BLOCK: tl.constexpr):
    # dx = rstd * (w*dy - (xhat * mean(xhat * w*dy) + mean(w*dy)))
    for row in range(tl.program_id(0), rows, tl.num_programs(0)):
        base = row.to(tl.int64) * n
        mean = tl.load(mean_ptr + row).to(tl.float32)
        rstd = tl.load(rstd_ptr + row).to(tl.float32)
        a1 = tl.zeros([BLOCK], dtype=tl.float32)
        a2 = tl.zeros([BLOCK], dtype=tl.float32)
        for c in range(0, n, BLOCK):
            offs = c + tl.arange(0, BLOCK)
            m = offs < n
            xhat, wdy = _xhat_wdy(x_ptr, dy_ptr, w_ptr, base, offs, m, mean, rstd, HAS_W)
            a1 += tl.where(m, xhat * wdy, 0.0)
            a2 += wdy
        c1 = tl.sum(a1, 0) / n
        c2 = tl.sum(a2, 0) / n
        for c in range(0, n, BLOCK):
            offs = c + tl.arange(0, BLOCK)
            m = offs < n
            xhat, wdy = _xhat_wdy(x_ptr, dy_ptr, w_ptr, base, offs, m, mean, rstd, HAS_W)
            tl.store(dx_ptr + base + offs, ((wdy - (xhat * c1 + c2)) * rstd).to(dx_ptr.dtype.element_ty), mask=m)


@triton.jit
def _ln_dwdb_partial_kernel(dy_ptr, x_ptr, mean_ptr, rstd_ptr, pw_ptr, pb_ptr, rows, n,
                            BLOCK_COLS: tl.constexpr):
    # program (column block, slice): sums of dy * xhat and dy over rows slice, slice + S, ...
    cols = tl.program_id(0) * BLOCK_COLS + tl.arange(0, BLOCK_COLS)
    m = cols < n
    slice_ = tl.program_id(1)
    aw = tl.zeros([BLOCK_COLS], dtype=tl.float32)
    ab = tl.zeros([BLOCK_COLS], dtype=tl.float32)
    for row in range(slice_, rows, tl.num_programs(1)):
        base = row.to(tl.int64) * n
        dy = tl.load(dy_ptr + base + cols, mask=m, other=0.0).to(tl.float32)
        xhat = (tl.load(x_ptr + base + cols, mask=m, other=0.0).to(tl.float32)
                - tl.load(mean_ptr + row).to(tl.float32)) * tl.load(rstd_ptr + row).to(tl.float32)
        aw += dy * xhat
        ab += dy
    tl.store(pw_ptr + slice_ * n + cols, aw, mask=m)
    tl.store(pb_ptr + slice_ * n + cols, ab, mask=m)


@triton.jit
def _sum_partials_kernel(p_ptr, out_ptr, slices, n, BLOCK_COLS: tl.constexpr):
    cols = tl.program_id(0) * BLOCK_COLS + tl.arange(0, BLOCK_COLS)
    m = cols < n
    acc = tl.zeros([BLOCK_COLS], dtype=tl.float32)
    for s in range(0, slices):
        acc += tl.load(p_ptr + s * n + cols, mask=m, other=0.0)
    tl.store(out_ptr + cols, acc.to(out_ptr.dtype.element_ty), mask=m)


def _usable(torch, x, shape, *params):
    n = math.prod(shape)
    return (kernels_usable() and x.dtype in floats(torch) and x.is_contiguous() and n > 0
            and tuple(x.shape[x.dim() - len(shape):]) == tuple(shape) and n < 2**31
            and all(p is None or (p.device == x.device and p.dtype in floats(torch) and p.is_contiguous()
                                  and p.numel() == n) for p in params))


def register(torch):
    """Registers the kernels for the PrivateUse1 dispatch key (the tvk device); calls they do not
    cover go to opmath.py's float32 CPU path."""
    from .opmath import float32_on_cpu
    lib = torch.library.Library("aten", "IMPL")
    aten = torch.ops.aten
    cpu_forward = float32_on_cpu(torch, aten.native_layer_norm.default)
    cpu_backward = float32_on_cpu(torch, aten.native_layer_norm_backward.default)

    def forward(x, normalized_shape, weight, bias, eps):
        args = (x, normalized_shape, weight, bias, eps)
        if not _usable(torch, x, normalized_shape, weight, bias):
            return cpu_forward(*args)
        my, mm, mr = meta_results(torch, aten.native_layer_norm.default, args)
        y = torch.empty(my.shape, dtype=my.dtype, device=x.device)
        mean = torch.empty(mm.shape, dtype=mm.dtype, device=x.device)
        rstd = torch.empty(mr.shape, dtype=mr.dtype, device=x.device)
        n = math.prod(normalized_shape)
        rows = x.numel() // n
        if rows and not run_kernel("native_layer_norm", lambda: _ln_forward_kernel[(grid_rows(rows),)](
                x, weight if weight is not None else x, bias if bias is not None else x, y, mean, rstd,
                rows, n, float(eps), HAS_W=weight is not None, HAS_B=bias is not None, BLOCK=BLOCK,
                num_warps=4)):
            return cpu_forward(*args)
        return y, mean, rstd

    def backward(dy, x, normalized_shape, mean, rstd, weight, bias, output_mask):
        args = (dy, x, normalized_shape, mean, rstd, weight, bias, output_mask)
        dy = dy.contiguous()  # the gradient of a sum is an expanded scalar
        if not (_usable(torch, x, normalized_shape, weight, bias)
                and dy.shape == x.shape and mean.is_contiguous() and rstd.is_contiguous()):
            return cpu_backward(*args)
        metas = meta_results(torch, aten.native_layer_norm_backward.default, args)
        n = math.prod(normalized_shape)
        rows = x.numel() // n
        outs = [None if m is None else torch.empty(m.shape, dtype=m.dtype, device=x.device) for m in metas]
        dx, dw, db = outs

        def launch():
            if dx is not None and rows:
                _ln_dx_kernel[(grid_rows(rows),)](dy, x, weight if weight is not None else x, mean, rstd, dx,
                                                   rows, n, HAS_W=weight is not None, BLOCK=BLOCK, num_warps=4)
            if dw is not None or db is not None:
                slices = max(1, min(ROW_SLICES, rows))
                pw = torch.empty((slices, n), dtype=torch.float32, device=x.device)
                pb = torch.empty((slices, n), dtype=torch.float32, device=x.device)
                grid = (triton.cdiv(n, BLOCK_COLS), slices)
                _ln_dwdb_partial_kernel[grid](dy, x, mean, rstd, pw, pb, rows, n, BLOCK_COLS=BLOCK_COLS,
                                              num_warps=2)
                for p, out in ((pw, dw), (pb, db)):
                    if out is not None:
                        _sum_partials_kernel[(triton.cdiv(n, BLOCK_COLS),)](p, out, slices, n,
                                                                            BLOCK_COLS=BLOCK_COLS, num_warps=2)
        if not run_kernel("native_layer_norm_backward", launch):
            return cpu_backward(*args)
        return dx, dw, db

    lib.impl("native_layer_norm", forward, "PrivateUse1")
    lib.impl("native_layer_norm_backward", backward, "PrivateUse1")
    return lib
