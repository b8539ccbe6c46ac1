"""Tutorial 05's test at full size on identical data, on CUDA and on tvk: max |db - exact| per
backend, and whether the tutorial's own check (allclose to torch's reference, atol 1e-2) holds."""
import sys, torch, triton, triton_vulkan
from triton.runtime import driver as triton_driver

src = open(".tutorials/05-layer-norm.py").read()
import importlib.util, sys
open("/tmp/ln05_tut.py", "w").write(src[:src.index("test_layer_norm(1151")])
spec = importlib.util.spec_from_file_location("ln05_tut", "/tmp/ln05_tut.py")
mod = importlib.util.module_from_spec(spec); sys.modules["ln05_tut"] = mod; spec.loader.exec_module(mod)
layer_norm = mod.layer_norm
cuda_drv = triton_driver.default
vk = triton_vulkan.activate()
M, N, dt = 1151, 8192, torch.float16


def run(dev, w, b, x, dy):
    w, b, x, dy = (t.detach().to(dev).requires_grad_(t.requires_grad) for t in (w, b, x, dy))
    y = layer_norm(x, (N,), w, b, 1e-5)
    y.backward(dy, retain_graph=True)
    tri = [t.grad.clone() for t in (x, w, b)]
    x.grad = w.grad = b.grad = None
    yr = torch.nn.functional.layer_norm(x, (N,), w, b, 1e-5).to(dt)
    yr.backward(dy, retain_graph=True)
    ref = [t.grad.clone() for t in (x, w, b)]
    return [t.cpu().double() for t in tri], [t.cpu().double() for t in ref]


for trial in range(6):
    g = torch.Generator().manual_seed(trial)
    w = torch.rand(N, generator=g).to(dt).requires_grad_()
    b = torch.rand(N, generator=g).to(dt).requires_grad_()
    x = (-2.3 + 0.5 * torch.randn(M, N, generator=g)).to(dt).requires_grad_()
    dy = (.1 * torch.randn(M, N, generator=g)).to(dt)
    exact_db = dy.double().sum(0)
    row = [f"trial {trial}"]
    for name, drv, dev in [x for x in (("cuda", cuda_drv, "cuda"), ("tvk", vk, "tvk")) if x[0] == sys.argv[1]]:
        triton_driver.set_active(drv)
        tri, ref = run(dev, w, b, x, dy)
        err = (tri[2] - exact_db).abs().max().item()
        ref_err = (ref[2] - exact_db).abs().max().item()
        dw_gap = (tri[1] - ref[1]).abs().max().item()
        checks = [torch.allclose(t, r, atol=1e-2, rtol=0) for t, r in zip(tri, ref)]
        row.append(f"{name}: db err {err:.4f} (ref {ref_err:.4f}) |dw - ref| {dw_gap:.4f} checks dx,dw,db={checks}")
    print(" | ".join(row), flush=True)
