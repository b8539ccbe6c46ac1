"""Each error case of the tvk extension in its own subprocess: does it raise, or crash?"""
import subprocess, sys

CASES = {
    "index": "torch.empty(3, device='tvk:99')",
    "set_": "t = torch.zeros(4, device='tvk'); torch.empty(0, device='tvk').set_(t.untyped_storage(), 0, (5000,), (1,))",
    "torch_check_in_torch": "torch.zeros(4, device='tvk').view(3)",
    "cpu_only": "torch.empty(3).set_(torch.zeros(2).untyped_storage(), 0, (50,), (1,))",
}
PRE = "import torch, triton_vulkan\nfrom triton_vulkan import torch_device\ntorch_device.register()\n"
if len(sys.argv) > 1:
    exec(PRE)
    try:
        exec(CASES[sys.argv[1]])
        print("no error")
    except Exception as e:
        print("raised", type(e).__name__, str(e).splitlines()[0][:150])
    sys.exit(0)
for name in CASES:
    p = subprocess.run([sys.executable, __file__, name], capture_output=True, text=True)
    print(f"{name}: rc={p.returncode} {p.stdout.strip()[-300:]}")
    if p.returncode:
        print("  stderr:", "\n  ".join(p.stderr.strip().splitlines()[-40:]))
