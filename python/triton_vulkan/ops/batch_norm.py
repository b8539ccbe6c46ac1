"""native_batch_norm and its backward on the tvk device as Triton kernels, for contiguous
(N, C, *) tensors: per-channel statistics in float32 (one program per channel: the batch's mean
and biased variance when training, with the running statistics updated in place; the running
ones otherwise), then an elementwise pass. Results in the dtypes and shapes ATen's meta kernel
gives; other cases take ATen's CPU kernels (float32 for half/bf16, as opmath.py does)."""
import math

import triton
import triton.language as tl

from .common import floats, grid_rows, kernels_usable, meta_results, run_kernel

BLOCK = 1024


@triton.jit
def _bn_channel_kernel(x_ptr, dy_ptr, mean_ptr, invstd_ptr, rm_ptr, rv_ptr, s1_ptr, s2_ptr,
                       N, C, HW, eps, momentum,
                       STATS: tl.constexpr, TRAIN: tl.constexpr, RUNNING: tl.constexpr, BLOCK: tl.constexpr):
    # STATS: mean/invstd of each channel (from the batch when TRAIN, else the running ones);
    # else the backward's sums of dy and dy * xhat per channel (into s1, s2).
    count = N * HW
    for c in range(tl.program_id(0), C, tl.num_programs(0)):
        if STATS and not TRAIN:
            mean = tl.load(rm_ptr + c).to(tl.float32)
            var = tl.load(rv_ptr + c).to(tl.float32)
        else:
            if STATS:
                acc = tl.zeros([BLOCK], dtype=tl.float32)
                for n in range(0, N):
                    base = (n.to(tl.int64) * C + c) * HW
                    for h in range(0, HW, BLOCK):
                        offs = h + tl.arange(0, BLOCK)
                        acc += tl.load(x_ptr + base + offs, mask=offs < HW, other=0.0).to(tl.float32)
                mean = tl.sum(acc, 0) / count
            else:
                mean = tl.load(mean_ptr + c).to(tl.float32)
                invstd = tl.load(invstd_ptr + c).to(tl.float32)
            a1 = tl.zeros([BLOCK], dtype=tl.float32)
            a2 = tl.zeros([BLOCK], dtype=tl.float32)
            for n in range(0, N):
                base = (n.to(tl.int64) * C + c) * HW
                for h in range(0, HW, BLOCK):
                    offs = h + tl.arange(0, BLOCK)
                    m = offs < HW
                    d = tl.where(m, tl.load(x_ptr + base + offs, mask=m, other=0.0).to(tl.float32) - mean, 0.0)
                    if STATS:
                        a1 += d * d
                    else:
                        dy = tl.load(dy_ptr + base + offs, mask=m, other=0.0).to(tl.float32)
                        a1 += dy
                        a2 += dy * d * invstd
            if STATS:
                var = tl.sum(a1, 0) / count
            else:
                tl.store(s1_ptr + c, tl.sum(a1, 0))
                tl.store(s2_ptr + c, tl.sum(a2, 0))
        if STATS:
            tl.store(mean_ptr + c, mean)
            tl.store(invstd_ptr + c, 1.0 / tl.sqrt_rn(var + eps))
            if TRAIN and RUNNING:
                unbiased = var * count / tl.maximum(count - 1, 1)
                rm = tl.load(rm_ptr + c).to(tl.float32)
                rv = tl.load(rv_ptr + c).to(tl.float32)
                tl.store(rm_ptr + c, ((1.0 - momentum) * rm + momentum * mean).to(rm_ptr.dtype.element_ty))
                tl.store(rv_ptr + c, ((1.0 - momentum) * rv + momentum * unbiased).to(rv_ptr.dtype.element_ty))


@triton.jit
def _bn_elementwise_kernel(x_ptr, dy_ptr, w_ptr, b_ptr, mean_ptr, invstd_ptr, s1_ptr, s2_ptr, out_ptr,
                           total, C, HW, count,
                           BACKWARD: tl.constexpr, TRAIN: tl.constexpr, HAS_W: tl.constexpr,
                           HAS_B: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    m = offs < total
    c = (offs // HW) % C
    mean = tl.load(mean_ptr + c, mask=m, other=0.0).to(tl.float32)
    invstd = tl.load(invstd_ptr + c, mask=m, other=1.0).to(tl.float32)
    scale = invstd
    if HAS_W:
        scale = scale * tl.load(w_ptr + c, mask=m, other=0.0).to(tl.float32)
    x = tl.load(x_ptr + offs, mask=m, other=0.0).to(tl.float32)
    if BACKWARD:
        dy = tl.load(dy_ptr + offs, mask=m, other=0.0).to(tl.float32)
        if TRAIN:  # dx = w * invstd * (dy - mean(dy) - xhat * mean(dy * xhat))
            xhat = (x - mean) * invstd
            s1 = tl.load(s1_ptr + c, mask=m, other=0.0)
            s2 = tl.load(s2_ptr + c, mask=m, other=0.0)
            r = scale * (dy - s1 / count - xhat * (s2 / count))
        else:
            r = scale * dy
    else:
        r = (x - mean) * scale
        if HAS_B:
            r = r + tl.load(b_ptr + c, mask=m, other=0.0).to(tl.float32)
    tl.store(out_ptr + offs, r.to(out_ptr.dtype.element_ty), mask=m)


def _channels(x):
    return x.shape[1], math.prod(x.shape[2:])


def _usable(torch, x, *per_channel):
    if not (kernels_usable() and x.dim() >= 2 and x.dtype in floats(torch) and x.is_contiguous()
            and x.numel() > 0):
        return False
    c = x.shape[1]
    return all(p is None or (p.device == x.device and p.dtype in floats(torch) and p.is_contiguous()
                             and p.numel() == c) for p in per_channel)


def register(torch):
    """Registers the kernels for the PrivateUse1 dispatch key (the tvk device)."""
    from .opmath import float32_on_cpu
    lib = torch.library.Library("aten", "IMPL")
    aten = torch.ops.aten
    cpu_forward = float32_on_cpu(torch, aten.native_batch_norm.default)
    cpu_backward = float32_on_cpu(torch, aten.native_batch_norm_backward.default)

    def forward(x, weight, bias, running_mean, running_var, training, momentum, eps):
        args = (x, weight, bias, running_mean, running_var, training, momentum, eps)
        has_running = running_mean is not None and running_var is not None
        if not (_usable(torch, x, weight, bias, running_mean, running_var) and (training or has_running)
                and (running_mean is None) == (running_var is None)):
            return cpu_forward(*args)
        my, mm, mi = meta_results(torch, aten.native_batch_norm.default, args)
        y = torch.empty(my.shape, dtype=my.dtype, device=x.device)
        c, hw = _channels(x)
        mean = torch.empty(c, dtype=torch.float32, device=x.device)
        invstd = torch.empty(c, dtype=torch.float32, device=x.device)
        n = x.shape[0]

        def launch():
            _bn_channel_kernel[(grid_rows(c),)](
                x, x, mean, invstd, running_mean if has_running else mean, running_var if has_running else mean,
                mean, mean, n, c, hw, float(eps), float(momentum or 0.0),
                STATS=True, TRAIN=bool(training), RUNNING=has_running, BLOCK=BLOCK, num_warps=4)
            _bn_elementwise_kernel[(triton.cdiv(x.numel(), BLOCK),)](
                x, x, weight if weight is not None else x, bias if bias is not None else x, mean, invstd,
                mean, mean, y, x.numel(), c, hw, float(n * hw),
                BACKWARD=False, TRAIN=bool(training), HAS_W=weight is not None, HAS_B=bias is not None,
                BLOCK=BLOCK, num_warps=4)
        if not run_kernel("native_batch_norm", launch):
            return cpu_forward(*args)
        return y, mean.to(mm.dtype).reshape(mm.shape), invstd.to(mi.dtype).reshape(mi.shape)

    def backward(dy, x, weight, running_mean, running_var, save_mean, save_invstd, train, eps, output_mask):
        args = (dy, x, weight, running_mean, running_var, save_mean, save_invstd, train, eps, output_mask)
        stats = (save_mean, save_invstd) if train else (running_mean, running_var)
        dy = dy.contiguous()  # the gradient of a sum is an expanded scalar
        if not (_usable(torch, x, weight, *stats) and dy.shape == x.shape
                and all(s is not None for s in stats)):
            return cpu_backward(*args)
        metas = meta_results(torch, aten.native_batch_norm_backward.default, args)
        c, hw = _channels(x)
        n = x.shape[0]
        if train:
            mean, invstd = save_mean.float(), save_invstd.float()
        else:
            mean = running_mean.float()
            invstd = torch.rsqrt(running_var.float() + eps)
        s1 = torch.empty(c, dtype=torch.float32, device=x.device)
        s2 = torch.empty(c, dtype=torch.float32, device=x.device)
        dx, dw, db = [None if m is None else torch.empty(m.shape, dtype=m.dtype, device=x.device) for m in metas]

        def launch():
            _bn_channel_kernel[(grid_rows(c),)](
                x, dy, mean, invstd, mean, mean, s1, s2, n, c, hw, float(eps), 0.0,
                STATS=False, TRAIN=bool(train), RUNNING=False, BLOCK=BLOCK, num_warps=4)
            if dx is not None:
                _bn_elementwise_kernel[(triton.cdiv(x.numel(), BLOCK),)](
                    x, dy, weight if weight is not None else x, x, mean, invstd, s1, s2, dx, x.numel(), c, hw,
                    float(n * hw), BACKWARD=True, TRAIN=bool(train), HAS_W=weight is not None, HAS_B=False,
                    BLOCK=BLOCK, num_warps=4)
        if not run_kernel("native_batch_norm_backward", launch):
            return cpu_backward(*args)
        if dw is not None:
            dw.copy_(s2)
        if db is not None:
            db.copy_(s1)
        return dx, dw, db

    lib.impl("native_batch_norm", forward, "PrivateUse1")
    lib.impl("native_batch_norm_backward", backward, "PrivateUse1")
    return lib
