"""TRITON_INTERPRET=1 with torch 1.13: Triton's interpreter needs Tensor.untyped_storage
(torch >= 2.0), which `triton_vulkan.activate()` supplies (python/triton_vulkan/_torch_compat.py)."""
import os
import subprocess
import sys

import tvk_testlib

CODE = """
import triton_vulkan as tv; tv.activate()
import torch, triton, triton.language as tl
@triton.jit
def k(x, y, n, B: tl.constexpr):
    o = tl.program_id(0) * B + tl.arange(0, B)
    m = o < n
    v = tl.load(x + o, mask=m, other=0.0)
    tl.store(y + o, v * 2 + tl.sum(v), mask=m)
x = torch.arange(100, dtype=torch.float32)
for y in (torch.zeros(100), tv.zeros(100)):
    k[(4,)](x, y, 100, B=32)
    sums = torch.stack([x[i * 32:(i + 1) * 32].sum().expand(32) for i in range(4)]).flatten()[:100]
    assert torch.equal(y, x * 2 + sums), y
print("ok")
"""


def test_interpreter_runs_on_torch_113(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(tvk_testlib.ROOT / "python"), TRITON_INTERPRET="1",
               TRITON_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")


def test_shim_is_off_without_interpreter(monkeypatch):
    from triton_vulkan import _torch_compat
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    assert _torch_compat.install_interpreter_shims() is False
