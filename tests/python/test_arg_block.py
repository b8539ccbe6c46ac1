"""Kernels whose parameters do not fit the device's push constants (abi/reflection.h, the
argument block): Inductor's fused kernels can take dozens of pointers, and lavapipe and many
mobile GPUs allow 128 bytes (13 pointers after the header). The parameters then go to a
storage buffer the runtime writes for each launch."""
import importlib.util

import numpy as np
import pytest


def _many_args_module(tmp_path, n_ptrs):
    """A @triton.jit kernel summing n_ptrs inputs, scaled by an f32, offset by an i64 and an f16
    scalar (the scalars sit past every pointer, deep in the block)."""
    ps = ", ".join(f"p{i}" for i in range(n_ptrs))
    body = "\n".join(f"    acc += tl.load(p{i} + o, mask=m)" for i in range(n_ptrs))
    src = f'''import triton
import triton.language as tl


@triton.jit
def many(out, {ps}, scale, shift, half, n, BLOCK: tl.constexpr):
    o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = o < n
    acc = tl.zeros([BLOCK], tl.float32)
{body}
    tl.store(out + o, acc * scale + shift.to(tl.float32) + half.to(tl.float32), mask=m)
'''
    path = tmp_path / f"many_args_{n_ptrs}.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.many


def _n_ptrs(tv):
    # Past the push constants on this device whatever their size: 8 bytes per address.
    return tv.device().target.push_constant_bytes // 8 + 4


def test_parameters_past_the_push_constants(tv, torch, triton_vk, tmp_path):
    n_ptrs = _n_ptrs(tv)
    kernel = _many_args_module(tmp_path, n_ptrs)
    n = 3000
    g = torch.Generator().manual_seed(0)
    xs = [torch.randn(n, generator=g) for _ in range(n_ptrs)]
    out = torch.zeros(n)
    shift = (1 << 33) + 5  # an i64 that needs both words
    compiled = kernel[(3,)](out, *xs, 0.5, shift, 0.25, n, BLOCK=1024)
    tv.synchronize()
    refl = compiled.metadata.vk_reflection
    assert refl["arg_block_binding"] == n_ptrs + 5 + 2 and refl["arg_block_bytes"] > refl["push_constant_bytes"]
    want = (torch.stack(xs).sum(0).double() * 0.5 + float(shift) + 0.25).float()
    assert torch.allclose(out, want, rtol=1e-6, atol=1e-3)


def test_argument_blocks_of_queued_launches(tv, torch, triton_vk, tmp_path):
    """Forty launches without a synchronize: each reads its own block (scale = its index)."""
    n_ptrs = _n_ptrs(tv)
    kernel = _many_args_module(tmp_path, n_ptrs)
    n = 256
    xs = [tv.from_torch(torch.full((n,), float(i))) for i in range(n_ptrs)]
    outs = [tv.zeros(n) for _ in range(40)]
    for k, out in enumerate(outs):
        kernel[(1,)](out, *xs, float(k), 0, 0.0, n, BLOCK=256)
    tv.synchronize()
    total = sum(range(n_ptrs))
    for k, out in enumerate(outs):
        assert torch.equal(out, torch.full((n,), float(total * k))), k


def test_kernels_that_fit_keep_push_constants(tv, torch, triton_vk, tmp_path):
    kernel = _many_args_module(tmp_path, 2)
    out = torch.zeros(16)
    compiled = kernel[(1,)](out, torch.ones(16), torch.ones(16), 1.0, 0, 0.0, 16, BLOCK=16)
    tv.synchronize()
    assert compiled.metadata.vk_reflection["arg_block_binding"] == -1
    assert torch.equal(out, torch.full((16,), 2.0))
