"""CPU leaf -> cuda (or tvk) -> backward, with and without triton_vulkan activated."""
import sys, torch
if sys.argv[1] == "act":
    import triton_vulkan; triton_vulkan.activate()
dev = sys.argv[2]
x = torch.randn(8, requires_grad=True)
try:
    (x.to(dev) * 2).sum().backward()
    print(sys.argv[1:], "ok", x.grad[:2].tolist())
except Exception as e:
    print(sys.argv[1:], "FAILED", str(e).splitlines()[0][:120])
