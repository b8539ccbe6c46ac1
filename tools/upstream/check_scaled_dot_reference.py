"""Is test_core.py's test_scaled_dot[64-64-64-False-False-False-e4m3-e4m3-4-16-1] failure ours?

The test compares the kernel's bf16 output with torch.matmul of bf16-upcast operands; run on the
CPU (our upstream runs keep the reference on the CPU), that bf16 matmul is not exactly rounded.
This script rebuilds the test's inputs (same seed and sampling, tools/upstream's release/3.6.x
test_core.py), runs the same tl.dot_scaled kernel on the Vulkan backend, and compares both the
kernel's output and the test's reference with the float64 product rounded to bf16.

Session 31 (lavapipe): ours matched the exactly rounded product at all 4096 elements, the CPU
reference differed at 2, one of them by 2 bf16 ulps (1.21875 against 1.234375 at (57, 52)), which
is the failure.

    PYTHONPATH=python .venv/bin/python tools/upstream/check_scaled_dot_reference.py
"""
import torch, triton, triton.language as tl
import triton_vulkan as tv
tv.activate()

@triton.jit
def dot_scale_kernel(a_base, stride_a0, stride_a1, a_scale, b_base, stride_b0, stride_b1, b_scale, out,
                     BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, type_a: tl.constexpr,
                     type_b: tl.constexpr):
    a_ptr = a_base + tl.arange(0, BLOCK_M)[:, None] * stride_a0 + tl.arange(0, BLOCK_K)[None, :] * stride_a1
    b_ptr = b_base + tl.arange(0, BLOCK_K)[:, None] * stride_b0 + tl.arange(0, BLOCK_N)[None, :] * stride_b1
    a = tl.load(a_ptr)
    b = tl.load(b_ptr)
    SCALE_BLOCK_K: tl.constexpr = BLOCK_K // 32
    scale_a_ptr = a_scale + tl.arange(0, BLOCK_M)[:, None] * SCALE_BLOCK_K + tl.arange(0, SCALE_BLOCK_K)[None, :]
    a_scale = tl.load(scale_a_ptr)
    c = tl.dot_scaled(a, a_scale, type_a, b, None, type_b)
    out_ptr = out + tl.arange(0, BLOCK_M)[:, None] * BLOCK_N + tl.arange(0, BLOCK_N)[None, :]
    tl.store(out_ptr, c.to(tl.bfloat16))

M = N = K = 64  # test_scaled_dot[64-64-64-False-False-False-e4m3-e4m3-4-16-1]: A e4m3 with scales, B e4m3
torch.manual_seed(0)
x = torch.randint(256, (M, K), dtype=torch.uint8)
y = torch.randint(256, (K, N), dtype=torch.uint8)
scale_x = torch.randint(0, 143, (M, K // 32), dtype=torch.uint8)
scale_y = torch.randint(0, 143, (N, K // 32), dtype=torch.uint8)
def make_finite(x):
    mask = 0x7F
    finite = torch.arange(x.numel(), dtype=torch.uint8).reshape_as(x) % mask
    x.copy_(torch.where(x & mask == mask, finite | (0x80 & x), x))
    return x
x = make_finite(x); y = make_finite(y)
z = torch.empty((M, N), dtype=torch.bfloat16)
dot_scale_kernel[(1,)](x, *x.stride(), scale_x, y, *y.stride(), None, z, M, N, K, "e4m3", "e4m3")
xf = x.view(torch.float8_e4m3fn).to(torch.float64) * torch.pow(2.0, scale_x.to(torch.float64) - 127).repeat_interleave(32, dim=1)
yf = y.view(torch.float8_e4m3fn).to(torch.float64)
exact = xf @ yf
# reference as the test: bf16 upcast then bf16 matmul on CPU
xb = xf.to(torch.bfloat16); yb = yf.to(torch.bfloat16)
print("upcast exact in bf16:", torch.equal(xb.double(), xf), torch.equal(yb.double(), yf))
ref = torch.matmul(xb, yb)
zd = z.double(); rd = ref.double()
i, j = 57, 52
print("exact", exact[i, j].item(), "ours", zd[i, j].item(), "ref", rd[i, j].item(), "exact->bf16", exact[i,j].to(torch.bfloat16).item())
print("ours vs exact->bf16 mismatches:", (zd != exact.to(torch.bfloat16).double()).sum().item())
print("ref  vs exact->bf16 mismatches:", (rd != exact.to(torch.bfloat16).double()).sum().item())
