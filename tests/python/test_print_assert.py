"""tl.device_print / print and tl.device_assert / assert in @triton.jit kernels (lower/debug_ops.cc,
runtime/debug_records.h).

Kernels append records to the device's debug record buffer; the runtime prints them at the next
synchronization in Triton-CUDA's format (`pid (x, y, z) idx (i, j) <prefix><value>`, the lines
of upstream python/test/unit/language/test_subprocess.py) and raises DeviceAssertionError for
failed assertions. Each tensor element is printed once per program, a scalar once per program."""
import inspect
import re
import uuid
from collections import Counter

import pytest

import triton
import triton.language as tl

N = 128


@triton.jit
def print_tensor(X, BLOCK: tl.constexpr):
    x = tl.load(X + tl.arange(0, BLOCK))
    tl.device_print("x: ", x)


@triton.jit
def print_hex(X, BLOCK: tl.constexpr):
    x = tl.load(X + tl.arange(0, BLOCK))
    tl.device_print("x: ", x, hex=True)


@triton.jit
def print_builtin(X, BLOCK: tl.constexpr):
    x = tl.load(X + tl.arange(0, BLOCK))
    print("x:", x)


@triton.jit
def print_scalar(X):
    x = tl.load(X)
    print("x:", x)


@triton.jit
def print_multiple(X, BLOCK: tl.constexpr):
    x = tl.load(X + tl.arange(0, BLOCK))
    y = tl.full((BLOCK, ), 1, tl.int32)
    tl.device_print("", x, y)


@triton.jit
def print_no_arg():
    print("no arg")


@triton.jit
def print_pid():
    print("", tl.program_id(0))


@triton.jit
def print_2d(X, BM: tl.constexpr, BN: tl.constexpr):
    pid = tl.program_id(1)
    x = tl.full([BM, BN], 1, tl.int32) + pid
    tl.device_print("x ", x)


@triton.jit
def print_uint_cast(BLOCK: tl.constexpr):
    x = tl.arange(0, BLOCK) + 128
    tl.device_print("x: ", x.to(tl.uint8))


@triton.jit
def print_pointer(X, BLOCK: tl.constexpr):
    tl.device_print("ptr ", X + tl.arange(0, BLOCK))


@triton.jit
def print_many_programs(X, Out, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(X + offs)
    tl.device_print("v", x)
    tl.store(Out + offs, x * 2)


@triton.jit
def assert_positive(X, Out, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(X + offs)
    tl.device_assert(x > 0, "x must be positive")
    tl.store(Out + offs, x + 1)


@triton.jit
def assert_statement(X, BLOCK: tl.constexpr):
    x = tl.load(X + tl.arange(0, BLOCK))
    assert tl.sum(x) < 100, "sum too large"


@triton.jit
def plain_copy(X, Out, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    tl.store(Out + offs, tl.load(X + offs))


def _lines(capfd):
    out = capfd.readouterr().out
    return Counter(line for line in out.splitlines() if line)


def _expected(values, fmt, width=3, prefix=" x: "):
    return Counter(f"pid (0, 0, 0) idx ({i:{width}}){prefix}{fmt(v)}" for i, v in enumerate(values))


@pytest.mark.parametrize("dtype,fmt", [
    ("int32", str),
    ("int64", str),
    ("float32", lambda v: f"{v:f}"),
    ("float16", lambda v: f"{v:f}"),
    ("int16", str),
    ("int8", str),
])
def test_print_tensor(tv, torch, triton_vk, capfd, dtype, fmt):
    base = torch.arange(0, N, dtype=torch.int32) - 40
    x = tv.from_torch(base.to(getattr(torch, dtype)))
    capfd.readouterr()
    print_tensor[(1, )](x, BLOCK=N)
    tv.synchronize()
    want = [v.item() for v in base.to(getattr(torch, dtype))]
    assert _lines(capfd) == _expected(want, fmt)


def test_print_float_values_and_builtin_print(tv, torch, triton_vk, capfd):
    vals = torch.tensor([0.5 * i - 3.25 for i in range(N)], dtype=torch.float32)
    x = tv.from_torch(vals)
    capfd.readouterr()
    print_builtin[(1, )](x, BLOCK=N)  # print("x:", x): Triton adds the space
    tv.synchronize()
    assert _lines(capfd) == _expected(vals.tolist(), lambda v: f"{v:f}")


@pytest.mark.parametrize("dtype,digits", [("int16", 4), ("int32", 8), ("int64", 16), ("float16", 4),
                                          ("float32", 8)])
def test_print_hex(tv, torch, triton_vk, capfd, dtype, digits):
    t = getattr(torch, dtype)
    vals = torch.arange(0, N, dtype=torch.int32).to(t)
    x = tv.from_torch(vals)
    capfd.readouterr()
    print_hex[(1, )](x, BLOCK=N)
    tv.synchronize()
    bits = {torch.float16: torch.int16, torch.float32: torch.int32}.get(t)
    raw = vals.view(bits).tolist() if bits is not None else vals.tolist()
    mask = (1 << (4 * digits)) - 1
    assert _lines(capfd) == _expected(raw, lambda v: f"0x{v & mask:0{digits}x}")


def test_print_negative_hex_masks_to_the_type(tv, torch, triton_vk, capfd):
    x = tv.from_torch(torch.full((N, ), -2, dtype=torch.int16))
    capfd.readouterr()
    print_hex[(1, )](x, BLOCK=N)
    tv.synchronize()
    assert _lines(capfd) == _expected([0xfffe] * N, lambda v: f"0x{v:04x}")


@pytest.mark.parametrize("dtype,fmt", [("int32", str), ("float32", lambda v: f"{v:f}"), ("int64", str),
                                       ("float16", lambda v: f"{v:f}")])
def test_print_scalar(tv, torch, triton_vk, capfd, dtype, fmt):
    x = tv.from_torch(torch.tensor([-42], dtype=getattr(torch, dtype)))
    capfd.readouterr()
    print_scalar[(1, )](x)
    tv.synchronize()
    # Once per program (Triton-CUDA prints a scalar once per thread).
    assert _lines(capfd) == Counter({f"pid (0, 0, 0) idx () x: {fmt(-42)}": 1})


def test_print_multiple_operands(tv, torch, triton_vk, capfd):
    x = tv.from_torch(torch.arange(0, N, dtype=torch.int32))
    capfd.readouterr()
    print_multiple[(1, )](x, BLOCK=N)
    tv.synchronize()
    want = Counter()
    for i in range(N):
        want[f"pid (0, 0, 0) idx ({i:3}): (operand 0) {i}"] += 1
        want[f"pid (0, 0, 0) idx ({i:3}): (operand 1) 1"] += 1
    assert _lines(capfd) == want


def test_print_without_operands_and_program_id(tv, torch, triton_vk, capfd):
    capfd.readouterr()
    print_no_arg[(2, )]()
    print_pid[(3, )]()
    tv.synchronize()
    want = Counter({"pid (0, 0, 0) no arg": 1, "pid (1, 0, 0) no arg": 1})
    want.update(f"pid ({p}, 0, 0) idx (): {p}" for p in range(3))
    assert _lines(capfd) == want


def test_print_2d_and_grid_y(tv, torch, triton_vk, capfd):
    capfd.readouterr()
    print_2d[(1, 2)](None, BM=16, BN=32)
    tv.synchronize()
    want = Counter(f"pid (0, {p}, 0) idx ({i:2}, {j:2}) x: {1 + p}"
                   for p in range(2) for i in range(16) for j in range(32))
    assert _lines(capfd) == want


def test_print_unsigned(tv, torch, triton_vk, capfd):
    capfd.readouterr()
    print_uint_cast[(1, )](BLOCK=N)
    tv.synchronize()
    assert _lines(capfd) == _expected([128 + i for i in range(N)], str)


def test_print_pointer(tv, torch, triton_vk, capfd):
    x = tv.zeros(16, dtype=torch.float32)
    capfd.readouterr()
    print_pointer[(1, )](x, BLOCK=16)
    tv.synchronize()
    lines = _lines(capfd)
    if tv.device().target.buffer_device_address:  # address mode: the device address in hex
        base = tv.device_address(x)
        want = _expected([base + 4 * i for i in range(16)], lambda v: f"0x{v:x}", width=2, prefix=" ptr: ")
    else:  # binding mode: the element of the pointer argument
        want = _expected(range(16), lambda v: f"&X[{v}]", width=2, prefix=" ptr: ")
    assert lines == want


def test_print_from_many_programs(tv, torch, triton_vk, capfd):
    P, B = 64, 32
    x = tv.from_torch(torch.arange(0, P * B, dtype=torch.int32))
    out = tv.zeros(P * B, dtype=torch.int32)
    capfd.readouterr()
    print_many_programs[(P, )](x, out, BLOCK=B)
    tv.synchronize()
    want = Counter(f"pid ({p}, 0, 0) idx ({i:2}) v: {p * B + i}" for p in range(P) for i in range(B))
    assert _lines(capfd) == want
    assert out.tolist() == [2 * v for v in range(P * B)]


def test_dropped_records_are_counted(tv, torch, triton_vk, capfd):
    cap = 65536  # DeviceOptions::debugRecords (TVK_DEBUG_RECORDS unset in the tests)
    P, B = 2 * cap // 128 + 4, 128
    x = tv.from_torch(torch.zeros(P * B, dtype=torch.int32))
    out = tv.zeros(P * B, dtype=torch.int32)
    capfd.readouterr()
    print_many_programs[(P, )](x, out, BLOCK=B)
    tv.synchronize()
    text = capfd.readouterr().out
    lines = text.splitlines()
    assert sum(1 for line in lines if line.startswith("pid (")) == cap
    assert f"triton_vulkan: {P * B - cap} records dropped" in text
    # The buffer is reset: the next launch prints everything.
    print_no_arg[(1, )]()
    tv.synchronize()
    assert capfd.readouterr().out == "pid (0, 0, 0) no arg\n"


def test_static_print_is_compile_time_only(tv, torch, triton_vk, capfd):

    @triton.jit
    def static_print_kernel(X, BLOCK: tl.constexpr, PLACEHOLDER: tl.constexpr):
        x = tl.load(X + tl.arange(0, BLOCK))
        tl.static_print("static:", x)
        tl.store(X + tl.arange(0, BLOCK), x)

    x = tv.from_torch(torch.arange(0, 16, dtype=torch.int32))
    capfd.readouterr()
    tag = str(uuid.uuid4())  # a new specialization: not in Triton's on-disk cache
    static_print_kernel[(1, )](x, BLOCK=16, PLACEHOLDER=tag)
    compiled = capfd.readouterr().out
    assert "static: int32[constexpr[16]]" in compiled
    static_print_kernel[(1, )](x, BLOCK=16, PLACEHOLDER=tag)  # cached: no compile, no output
    tv.synchronize()
    assert capfd.readouterr().out == ""


def test_assert_passes(tv, torch, triton_vk):
    x = tv.from_torch(torch.arange(1, 4 * 64 + 1, dtype=torch.int32))
    out = tv.zeros(4 * 64, dtype=torch.int32)
    assert_positive[(4, )](x, out, BLOCK=64, debug=True)
    tv.synchronize()
    assert out.tolist() == list(range(2, 4 * 64 + 2))


def test_assert_fails_with_file_line_message_and_position(tv, torch, triton_vk):
    vals = torch.arange(1, 4 * 64 + 1, dtype=torch.int32)
    vals[2 * 64 + 5] = -7
    x = tv.from_torch(vals)
    out = tv.zeros(4 * 64, dtype=torch.int32)
    assert_positive[(4, )](x, out, BLOCK=64, debug=True)
    line = inspect.getsourcelines(assert_positive.fn)[1] + 4
    with pytest.raises(tv.DeviceAssertionError) as info:
        tv.synchronize()
    msg = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert re.search(rf"test_print_assert\.py:{line}: kernel 'assert_positive': Assertion `x must be "
                     r"positive` failed at pid \(2, 0, 0\) idx \( 5\) \(1 failing element recorded\)", msg), msg
    # The process and the device stay usable; the kernel ran to its end (documented choice).
    assert out[2 * 64 + 5].item() == -6
    ok = tv.from_torch(torch.arange(1, 65, dtype=torch.int32))
    out2 = tv.zeros(64, dtype=torch.int32)
    assert_positive[(1, )](ok, out2, BLOCK=64, debug=True)
    tv.synchronize()
    assert out2.tolist() == list(range(2, 66))


def test_assert_statement_in_kernel(tv, torch, triton_vk):
    x = tv.from_torch(torch.full((32, ), 10, dtype=torch.int32))
    assert_statement[(1, )](x, BLOCK=32, debug=True)
    with pytest.raises(tv.DeviceAssertionError, match=r"Assertion `sum too large` failed at pid \(0, 0, 0\) idx \(\)"):
        tv.synchronize()
    small = tv.from_torch(torch.ones(32, dtype=torch.int32))
    assert_statement[(1, )](small, BLOCK=32, debug=True)
    tv.synchronize()


def test_assert_without_debug_is_dropped(tv, torch, triton_vk):
    x = tv.from_torch(torch.full((64, ), -1, dtype=torch.int32))
    out = tv.zeros(64, dtype=torch.int32)
    assert_positive[(1, )](x, out, BLOCK=64)
    tv.synchronize()
    kernel = assert_positive.warmup(x, out, BLOCK=64, grid=(1, ))
    assert kernel.metadata.vk_reflection["debug_binding"] == -1


def test_kernels_without_print_have_no_debug_binding(tv, torch, triton_vk):
    x = tv.from_torch(torch.arange(0, 16, dtype=torch.int32))
    out = tv.zeros(16, dtype=torch.int32)
    k = plain_copy.warmup(x, out, BLOCK=16, grid=(1, ))
    r = k.metadata.vk_reflection
    assert r["debug_binding"] == -1 and r["debug_sites"] == []
    assert "tvk_debug" not in k.asm["spvdis"]
    p = print_tensor.warmup(x, BLOCK=16, grid=(1, ))
    r = p.metadata.vk_reflection
    assert r["debug_binding"] == len(r["args"]) + 1
    assert r["debug_sites"][0]["text"] == " x: " and r["debug_sites"][0]["shape"] == [16]


@triton.jit
def assert_env_debug(X, BLOCK: tl.constexpr):
    x = tl.load(X + tl.arange(0, BLOCK))
    assert x.to(tl.int32) == 0, "x is not zero"


def test_triton_debug_environment_enables_asserts(tv, torch, triton_vk, monkeypatch):
    x = tv.from_torch(torch.arange(0, 8, dtype=torch.int32))
    # Triton reads TRITON_DEBUG once, into knobs.runtime.debug, when it is imported.
    monkeypatch.setattr(triton.knobs.runtime, "debug", True)
    assert_env_debug[(1, )](x, BLOCK=8)
    with pytest.raises(tv.DeviceAssertionError, match=r"Assertion `x is not zero` failed at pid \(0, 0, 0\) "
                       r"idx \(1\) \(7 failing elements recorded\)"):
        tv.synchronize()
