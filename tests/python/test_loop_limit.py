"""Loops past the device's loop limit through @triton.jit (docs/lowering.md, "Loop limit").

lavapipe (Mesa llvmpipe) ends every loop without an error once an invocation has made 65535
loop passes in total, all of its loops together. The compiler runs several copies of a long
loop's body per pass, so these loops give the right results there; kernels that still need
too many passes make the runtime raise an error at the next synchronization instead of
leaving wrong results. On devices without a limit every test but the error ones just runs."""
import pytest

import triton
import triton.language as tl


@triton.jit
def for_loop(out, n):
    acc = 0
    for i in range(n):
        acc = acc * 3 + i
    tl.store(out, acc)


@triton.jit
def while_loop(out, n):
    i = 0
    x = 0
    while i < n:
        x = x ^ (i * 7)
        i += 1
    tl.store(out, i)
    tl.store(out + 1, x)


@triton.jit
def nested_loops(out, a, b):
    acc = 0
    for i in range(a):
        for j in range(b):
            acc += 1
        acc += 2
    tl.store(out, acc)


def _i32(x):
    return (x + 2**31) % 2**32 - 2**31


def _limit(tv):
    return tv.device().target.max_loop_iterations


def _run(tv, torch, kernel, *args):
    out = tv.zeros(2, dtype=torch.int32)
    kernel[(2,)](out, *args)
    tv.synchronize()
    return out.tolist()


def test_device_target_knows_the_limit(tv):
    dev = tv.device()
    info = [d for d in tv.devices() if d["index"] == dev.index][0]
    expected = 65535 if "llvmpipe" in info["name"] else 0
    assert dev.target.max_loop_iterations == expected
    assert f"loop limit: {expected}" in dev.target.describe() or expected == 0


def test_for_loop_of_100000_iterations(tv, torch, triton_vk):
    n = 100_000
    acc = 0
    for i in range(n):
        acc = _i32(acc * 3 + i)
    assert _run(tv, torch, for_loop, n)[0] == acc


def test_while_loop_past_twice_the_limit(tv, torch, triton_vk):
    n = 2 * 65535 + 10_001
    x = 0
    for i in range(n):
        x ^= _i32(i * 7)
    assert _run(tv, torch, while_loop, n) == [n, x]


def test_nested_loops_past_the_limit(tv, torch, triton_vk):
    assert _run(tv, torch, nested_loops, 300, 300)[0] == 300 * 302
    assert _run(tv, torch, nested_loops, 2, 70_000)[0] == 2 * 70_002


def test_too_many_passes_is_an_error_not_a_wrong_result(tv, torch, triton_vk):
    if _limit(tv) == 0:
        pytest.skip("the device has no loop limit")
    # Every instance of the empty inner loop costs a pass: 100000 of them cannot fit.
    out = tv.zeros(2, dtype=torch.int32)
    nested_loops[(1,)](out, 100_000, 0)
    with pytest.raises(tv.VulkanError, match=r"loop limit: kernel 'nested_loops' ran into the loop limit"):
        tv.synchronize()
    # The flag is cleared: the next launches run and report normally.
    assert _run(tv, torch, nested_loops, 1000, 0)[0] == 2000
    assert _run(tv, torch, for_loop, 10)[0] == _i32(sum(i * 3 ** (9 - i) for i in range(10)))
