"""aten::mm, addmm and bmm (and their out= forms) on the tvk device as one Triton kernel:
tiles of C = alpha * A @ B + beta * bias, fp32 accumulation, any strides, masked edges, a batch
dimension on the grid's z axis. f16/bf16 run on the device's cooperative matrices where it has
them; f32 follows torch.get_float32_matmul_precision() ("highest": exact fp32 FMA dots, else
Triton's tf32, which this backend computes from bf16 splits). Other dtypes (integers, f64) keep
the CPU fallback's semantics by computing on the CPU.

Registered by triton_vulkan.torch_device.register() (register()); Inductor's extern mm/addmm/bmm
calls reach them too, so compiled models keep their matmuls on the device."""
import triton
import triton.language as tl

from .common import floats, kernels_usable, run_kernel


@triton.jit
def _matmul_kernel(a_ptr, b_ptr, c_ptr, bias_ptr, M, N, K,
                   s_ab, s_am, s_ak, s_bb, s_bk, s_bn, s_cb, s_cm, s_cn, s_xb, s_xm, s_xn,
                   alpha, beta,
                   HAS_BIAS: tl.constexpr, PRECISION: tl.constexpr,
                   BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr):
    pid = tl.program_id(0)
    batch = tl.program_id(2).to(tl.int64)
    num_m = tl.cdiv(M, BLOCK_M)
    num_n = tl.cdiv(N, BLOCK_N)
    # Grouped tile order: GROUP_M row tiles share their B columns while they are hot.
    group = pid // (GROUP_M * num_n)
    first_m = group * GROUP_M
    rows = min(num_m - first_m, GROUP_M)
    pid_m = first_m + (pid % (GROUP_M * num_n)) % rows
    pid_n = (pid % (GROUP_M * num_n)) // rows
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + batch * s_ab + offs_m[:, None] * s_am + offs_k[None, :] * s_ak
    b_ptrs = b_ptr + batch * s_bb + offs_k[:, None] * s_bk + offs_n[None, :] * s_bn
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        k_left = K - k * BLOCK_K
        a = tl.load(a_ptrs, mask=(offs_m[:, None] < M) & (offs_k[None, :] < k_left), other=0.0)
        b = tl.load(b_ptrs, mask=(offs_k[:, None] < k_left) & (offs_n[None, :] < N), other=0.0)
        acc = tl.dot(a, b, acc, input_precision=PRECISION)
        a_ptrs += BLOCK_K * s_ak
        b_ptrs += BLOCK_K * s_bk
    acc = acc * alpha
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    if HAS_BIAS:
        bias = tl.load(bias_ptr + batch * s_xb + offs_m[:, None] * s_xm + offs_n[None, :] * s_xn, mask=mask, other=0.0)
        acc += beta * bias.to(tl.float32)
    c_ptrs = c_ptr + batch * s_cb + offs_m[:, None] * s_cm + offs_n[None, :] * s_cn
    tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty), mask=mask)


def _precision(torch, dtype):
    if dtype != torch.float32:
        return "ieee"  # f16/bf16 products are exact in fp32 either way
    return "ieee" if torch.get_float32_matmul_precision() == "highest" else "tf32"


def _launch(torch, a, b, c, bias, alpha, beta):
    """c[B, M, N] = alpha * a[B, M, K] @ b[B, K, N] + beta * bias (broadcast to c's shape)."""
    nb, m, k = a.shape
    n = b.shape[2]
    if m == 0 or n == 0 or nb == 0:
        return
    if k == 0 or alpha == 0:
        if bias is None or beta == 0:
            c.zero_()
        else:
            c.copy_(bias * beta)
        return
    bm = 64 if m > 32 else 32
    bn = 64 if n > 32 else 32
    grid = (triton.cdiv(m, bm) * triton.cdiv(n, bn), 1, nb)
    has_bias = bias is not None and beta != 0
    x = bias if has_bias else c
    _matmul_kernel[grid](a, b, c, x, m, n, k,
                         a.stride(0), a.stride(1), a.stride(2), b.stride(0), b.stride(1), b.stride(2),
                         c.stride(0), c.stride(1), c.stride(2), x.stride(0), x.stride(1), x.stride(2),
                         float(alpha), float(beta), HAS_BIAS=has_bias, PRECISION=_precision(torch, a.dtype),
                         BLOCK_M=bm, BLOCK_N=bn, BLOCK_K=32, GROUP_M=8, num_warps=4)


def _on_device(torch, *ts):
    """True when the kernel computes this call: float dtypes alike, and the Vulkan driver active."""
    return kernels_usable() and all(t.dtype in floats(torch) and t.dtype == ts[0].dtype for t in ts)


def _run(torch, cpu_fn, args, shape, compute, out=None):
    """One mm/addmm/bmm call: compute(c) writes the result into device tensor c of `shape`
    (into `out`, resized as ATen's out= ops do, when given); dtypes the kernel does not cover
    run cpu_fn on CPU copies of `args` instead."""
    tensors = [a for a in args if isinstance(a, torch.Tensor)] + ([] if out is None else [out])
    device = tensors[0].device

    def on_cpu():
        r = cpu_fn(*[a.cpu() if isinstance(a, torch.Tensor) else a for a in args]).to(device)
        return r if out is None else out.resize_(r.shape).copy_(r)
    if not _on_device(torch, *tensors):
        return on_cpu()
    if out is not None and tuple(out.shape) != tuple(shape):
        out.resize_(shape)
    # The kernel writes any strides: straight into `out` unless it shares storage with an input.
    direct = out is not None and all(out.untyped_storage().data_ptr() != t.untyped_storage().data_ptr()
                                     for t in tensors[:-1])
    c = out if direct else torch.empty(shape, dtype=tensors[0].dtype, device=device)
    if not run_kernel("mm", lambda: compute(c)):
        return on_cpu()  # the device cannot build the kernel
    return c if out is None or direct else out.copy_(c)


def register(torch):
    """Registers the kernels for the PrivateUse1 dispatch key (the tvk device)."""
    lib = torch.library.Library("aten", "IMPL")

    def mm_into(a, b, bias=None, alpha=1, beta=0):
        def compute(c):
            _launch(torch, a.unsqueeze(0), b.unsqueeze(0), c.unsqueeze(0),
                    None if bias is None else bias.expand(c.shape).unsqueeze(0), alpha, beta)
        return compute

    def mm(a, b, *, out=None):
        return _run(torch, torch.mm, (a, b), (a.shape[0], b.shape[1]), mm_into(a, b), out)

    def addmm(bias, a, b, *, beta=1, alpha=1, out=None):
        return _run(torch, lambda x, y, z: torch.addmm(x, y, z, beta=beta, alpha=alpha), (bias, a, b),
                    (a.shape[0], b.shape[1]), mm_into(a, b, bias, alpha, beta), out)

    def bmm(a, b, *, out=None):
        return _run(torch, torch.bmm, (a, b), (a.shape[0], a.shape[1], b.shape[2]),
                    lambda c: _launch(torch, a, b, c, None, 1, 0), out)

    for name, fn in (("mm", mm), ("mm.out", mm), ("addmm", addmm), ("addmm.out", addmm),
                     ("bmm", bmm), ("bmm.out", bmm)):
        lib.impl(name, fn, "PrivateUse1")
    return lib
