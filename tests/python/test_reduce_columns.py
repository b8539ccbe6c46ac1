"""Reductions of 2-D tiles along dimension 0 (tl.sum(x, 0), tl.max, tl.argmin, a column sum in a
loop) through the column path (analysis::reduceColumnPath, lower/reduce.cc): each invocation
combines its column in registers, shuffles combine the lanes of one subgroup that share a
column (row lengths under the subgroup size), and scratch combines the rest. Checked against
PyTorch at row lengths below, at and above the subgroup size, up to W, for several warp counts,
and at lavapipe subgroup sizes 4 and 16 in fresh processes."""
import pytest

from tvk_testlib import HERE, ROOT, run_at_lavapipe_width

KERNELS = r'''
import triton
import triton.language as tl


@triton.jit
def col_reduce(X, S, M, A, R: tl.constexpr, C: tl.constexpr):
    r = tl.arange(0, R)
    c = tl.arange(0, C)
    x = tl.load(X + r[:, None] * C + c[None, :])
    tl.store(S + c, tl.sum(x, 0))
    tl.store(M + c, tl.max(x, 0))
    tl.store(A + c, tl.argmin(x, 0))


@triton.jit
def col_sum_loop(X, S, rows, C: tl.constexpr, BR: tl.constexpr):
    c = tl.arange(0, C)
    acc = tl.zeros([C], dtype=tl.float32)
    for r0 in range(0, rows, BR):
        r = r0 + tl.arange(0, BR)
        x = tl.load(X + r[:, None] * C + c[None, :], mask=r[:, None] < rows, other=0.0)
        acc += tl.sum(x, 0)
    tl.store(S + c, acc)
'''

SHAPES = [(64, 2, 4), (64, 4, 4), (32, 8, 4), (16, 16, 4), (8, 128, 4), (64, 64, 4), (32, 32, 1),
          (16, 64, 2), (128, 16, 8)]


def _check(torch, k, shapes):
    bad = []
    g = torch.Generator().manual_seed(7)
    for R, C, warps in shapes:
        x = torch.randint(-8, 8, (R, C), generator=g).float()  # exact sums, ties for argmin
        s, m, a = torch.zeros(C), torch.zeros(C), torch.zeros(C, dtype=torch.int32)
        k.col_reduce[(1,)](x, s, m, a, R=R, C=C, num_warps=warps)
        if not (torch.equal(s, x.sum(0)) and torch.equal(m, x.amax(0)) and torch.equal(a.long(), x.argmin(0))):
            bad.append(f"col_reduce {R}x{C} warps={warps}")
    x = torch.randn(1000, 64, generator=g)
    s = torch.zeros(64)
    k.col_sum_loop[(1,)](x, s, 1000, C=64, BR=64)
    if not torch.allclose(s, x.sum(0), rtol=1e-4, atol=1e-4):
        bad.append("col_sum_loop")
    return bad


def test_column_reductions(triton_vk, torch, tmp_path):
    import importlib.util
    path = tmp_path / "colk.py"
    path.write_text(KERNELS)
    spec = importlib.util.spec_from_file_location("colk", path)
    k = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(k)
    assert _check(torch, k, SHAPES) == []


SCRIPT = r"""
import sys, importlib.util
sys.path[:0] = [{here!r}, {python!r}]
import torch
import triton_vulkan as tv
tv.activate()
spec = importlib.util.spec_from_file_location("colk", {kernels!r})
k = importlib.util.module_from_spec(spec)
spec.loader.exec_module(k)
from test_reduce_columns import _check, SHAPES
print('SUBGROUP', tv.device().target.subgroup_size)
bad = _check(torch, k, SHAPES)
print('\n'.join(bad) if bad else 'ALL OK')
"""


@pytest.mark.parametrize("width,subgroup", [("128", 4), ("512", 16)], ids=["sg4", "sg16"])
def test_column_reductions_at_subgroup_size(width, subgroup, tmp_path):
    kernels = tmp_path / "colk.py"
    kernels.write_text(KERNELS)
    code = SCRIPT.format(here=str(HERE), python=str(ROOT / "python"), kernels=str(kernels))
    lines = run_at_lavapipe_width(code, width, subgroup, tmp_path, timeout=600)
    assert lines == ["ALL OK"], "\n".join(lines)
