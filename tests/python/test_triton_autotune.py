"""@triton.autotune through the Vulkan driver's benchmarker (do_bench on GPU timestamps)."""
import triton
import triton.language as tl


@triton.autotune(configs=[triton.Config({"BLOCK": 128}, num_warps=1), triton.Config({"BLOCK": 512}, num_warps=4)],
                 key=["n"])
@triton.jit
def scale_kernel(x_ptr, y_ptr, n, s, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=m) * s, mask=m)


def test_autotune(tv, torch, triton_vk):
    n = 3000
    x = tv.from_torch(torch.arange(n, dtype=torch.float32))
    y = tv.zeros(n)
    scale_kernel[lambda meta: (triton.cdiv(n, meta["BLOCK"]),)](x, y, n, 0.5)
    tv.synchronize()
    assert torch.equal(y, torch.arange(n, dtype=torch.float32) * 0.5)
    best = scale_kernel.best_config
    assert best.kwargs["BLOCK"] in (128, 512) and len(scale_kernel.cache) == 1
