"""`make demo`: ordinary @triton.jit kernels on the default Vulkan device, printing what they
computed next to a PyTorch reference on the CPU."""
import torch
import triton
import triton.language as tl

import triton_vulkan as tv


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=m) + tl.load(y_ptr + offs, mask=m), mask=m)


@triton.jit
def softmax_kernel(out_ptr, in_ptr, stride, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    x = tl.load(in_ptr + row * stride + cols, mask=cols < n_cols, other=-float("inf"))
    num = tl.exp(x - tl.max(x, axis=0))
    tl.store(out_ptr + row * stride + cols, num / tl.sum(num, axis=0), mask=cols < n_cols)


def main():
    tv.activate()
    dev = tv.devices()[tv.current_device()]
    print(f"device: {dev['name']} (subgroup size {dev['subgroup_size']}, "
          f"{dev['shared_memory_bytes']} bytes of shared memory)")
    torch.manual_seed(0)

    n = 100_000
    x = tv.from_torch(torch.rand(n))            # torch tensors backed by Vulkan memory
    y = tv.from_torch(torch.rand(n))
    out = tv.empty((n,), dtype=torch.float32)
    add_kernel[(triton.cdiv(n, 1024),)](x, y, out, n, BLOCK=1024)
    tv.synchronize()
    print(f"add: out[:4] = {out[:4].tolist()}  max |out - (x+y)| = {(out - (x + y)).abs().max().item():.3g}")

    rows, cols = 8, 1000
    a = tv.from_torch(torch.randn(rows, cols))
    s = tv.empty((rows, cols), dtype=torch.float32)
    softmax_kernel[(rows,)](s, a, cols, cols, BLOCK=1024)
    tv.synchronize()
    ref = torch.softmax(a, dim=1)
    print(f"softmax: row 0 [:4] = {s[0, :4].tolist()}  row sums = {s.sum(1)[:3].tolist()}"
          f"  max err vs torch = {(s - ref).abs().max().item():.3g}")
    assert torch.allclose(out, x + y) and torch.allclose(s, ref, atol=1e-6, rtol=1e-4)


if __name__ == "__main__":
    main()
