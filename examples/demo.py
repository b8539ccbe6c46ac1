"""`make demo`: ordinary @triton.jit kernels on the default Vulkan device, on tensors of the
`tvk` torch device (triton_vulkan.torch_device; Triton's get_active_torch_device() returns it),
printing what they computed next to a PyTorch reference on the CPU. With a PyTorch older than
2.4 the tensors are CPU tensors over Vulkan memory (triton_vulkan.from_torch/empty)."""
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
    device = triton.runtime.driver.active.get_active_torch_device()
    print(f"torch device: {device}")
    torch.manual_seed(0)

    def on_device(t):  # a tvk tensor, or a CPU tensor over Vulkan memory
        return t.to(device) if device.type != "cpu" else tv.from_torch(t)

    n = 100_000
    x = on_device(torch.rand(n))
    y = on_device(torch.rand(n))
    out = torch.empty_like(x)
    add_kernel[(triton.cdiv(n, 1024),)](x, y, out, n, BLOCK=1024)
    tv.synchronize()  # (a tvk tensor's .cpu() waits by itself; a CPU tensor over Vulkan memory does not)
    x, y, out = x.cpu(), y.cpu(), out.cpu()
    print(f"add: out[:4] = {out[:4].tolist()}  max |out - (x+y)| = {(out - (x + y)).abs().max().item():.3g}")

    rows, cols = 8, 1000
    a = on_device(torch.randn(rows, cols))
    s = torch.empty_like(a)
    softmax_kernel[(rows,)](s, a, cols, cols, BLOCK=1024)
    tv.synchronize()
    a, s = a.cpu(), s.cpu()
    ref = torch.softmax(a, dim=1)
    print(f"softmax: row 0 [:4] = {s[0, :4].tolist()}  row sums = {s.sum(1)[:3].tolist()}"
          f"  max err vs torch = {(s - ref).abs().max().item():.3g}")
    assert torch.allclose(out, x + y) and torch.allclose(s, ref, atol=1e-6, rtol=1e-4)


if __name__ == "__main__":
    main()
