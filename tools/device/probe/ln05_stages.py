"""Tutorial 05's backward on tvk, stage by stage: the dw/db reduction kernel (_layer_norm_bwd_dwdb)
alone on random fp16 partial sums against their exact sum rounded to fp16, then the whole
backward's dw against float64 (and against that rounded to fp16, the tutorial's reference)."""
import sys, importlib.util
import torch, triton, triton_vulkan

src = open(".tutorials/05-layer-norm.py").read()
open("/tmp/ln05_tut.py", "w").write(src[:src.index("test_layer_norm(1151")])
spec = importlib.util.spec_from_file_location("ln05_tut", "/tmp/ln05_tut.py")
mod = importlib.util.module_from_spec(spec)
sys.modules["ln05_tut"] = mod
triton_vulkan.activate()
spec.loader.exec_module(mod)
M, N, G, dt = 1151, 8192, 96, torch.float16
g = torch.Generator().manual_seed(0)
part = (torch.randn(G, N, generator=g) * 0.4).to(dt)
dw, db = torch.empty(N, dtype=dt, device="tvk"), torch.empty(N, dtype=dt, device="tvk")
pd = part.to("tvk")
mod._layer_norm_bwd_dwdb[lambda meta: (triton.cdiv(N, meta["BLOCK_SIZE_N"]),)](
    pd, pd, dw, db, min(G, M), N, BLOCK_SIZE_M=32, BLOCK_SIZE_N=128, num_ctas=1)
want = part.double().sum(0).float().half()
print("dwdb stage: elements off the rounded exact sum:", int((dw.cpu() != want).sum()), "max",
      (dw.cpu().double() - want.double()).abs().max().item())
for trial in range(2):
    g = torch.Generator().manual_seed(trial)
    w = torch.rand(N, generator=g).to(dt); b = torch.rand(N, generator=g).to(dt)
    x = (-2.3 + 0.5 * torch.randn(M, N, generator=g)).to(dt); dy = (.1 * torch.randn(M, N, generator=g)).to(dt)
    ws, bs, xs = (t.clone().to("tvk").requires_grad_() for t in (w, b, x))
    mod.layer_norm(xs, (N,), ws, bs, 1e-5).backward(dy.to("tvk"))
    ww = w.double().requires_grad_(); bb = b.double().requires_grad_()
    torch.nn.functional.layer_norm(x.double(), (N,), ww, bb, 1e-5).backward(dy.double())
    print(trial, "dw err vs exact", round((ws.grad.cpu().double() - ww.grad).abs().max().item(), 4),
          "gap vs rounded", round((ws.grad.cpu().double() - ww.grad.half().double()).abs().max().item(), 4),
          "db gap", round((bs.grad.cpu().double() - bb.grad.half().double()).abs().max().item(), 4))
for trial in range(3):
    mod.test_layer_norm(1151, 8192, torch.float16)  # the tutorial's own check (random data)
print("the tutorial's test_layer_norm passed 3 times")
