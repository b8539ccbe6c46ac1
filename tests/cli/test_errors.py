"""Error paths of the `tvk` command line: bad input gives a clear error and a non-zero exit,
never a crash (a signal) and never a PASS."""
import json
import re
import shutil
import subprocess

import numpy as np
import pytest

import pathlib

# The conformance cases (same place as tests/tvk_cases.py says; kept local so that this file
# needs only the `tvk_bin` fixture).
CASES = pathlib.Path(__file__).resolve().parents[1] / "conformance" / "cases"

ADD = CASES / "add_f32"


def tvk(tvk_bin, *args, timeout=300):
    return subprocess.run([tvk_bin, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def assert_clean_failure(r):
    """Non-zero exit by the program itself (not a signal), an `error:` line, no PASS."""
    out = r.stdout + r.stderr
    assert r.returncode > 0, f"exit {r.returncode} (negative = killed by a signal):\n{out}"
    assert "error:" in out, out
    assert "PASS" not in r.stdout.split(), out
    assert "terminate called" not in out and "Segmentation" not in out, out
    return out


def compile_text(tvk_bin, tmp_path, text, name="kernel.ttir"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return tvk(tvk_bin, "compile", path, "--target", "lavapipe", "-o", tmp_path / "out.spv")


def without_locs(text):
    """The add_f32 kernel with every `loc(#locN)` use and `#locN =` definition removed (only
    `#loc` stays), so that a truncation is a syntax error rather than a missing alias."""
    text = re.sub(r" loc\(#loc\d+\)", "", text)
    return "\n".join(l for l in text.splitlines() if not re.match(r"#loc\d+ =", l)) + "\n"


# --- malformed TTIR -----------------------------------------------------------------------

def test_add_f32_compiles(tvk_bin, tmp_path):
    """The unmodified inputs of the tests below compile (so their failures come from the edits)."""
    for text in (ADD.joinpath("kernel.ttir").read_text(),
                 without_locs(ADD.joinpath("kernel.ttir").read_text())):
        r = compile_text(tvk_bin, tmp_path, text)
        assert r.returncode == 0, r.stderr
        assert (tmp_path / "out.spv").stat().st_size > 0


@pytest.mark.parametrize("percent", [20, 40, 60, 80, 95])
def test_truncated_ttir_names_a_line(tvk_bin, tmp_path, percent):
    text = ADD.joinpath("kernel.ttir").read_text()
    cut = text[: len(text) * percent // 100]
    out = assert_clean_failure(compile_text(tvk_bin, tmp_path, cut, "trunc.ttir"))
    m = re.search(r"trunc\.ttir:(\d+):", out)
    assert m, out
    assert 1 <= int(m.group(1)) <= cut.count("\n") + 1, out


def test_truncated_body_names_the_end_line(tvk_bin, tmp_path):
    """Cut after each line inside the function: the error is at the end of the input."""
    lines = without_locs(ADD.joinpath("kernel.ttir").read_text()).splitlines(keepends=True)
    body = [i for i, l in enumerate(lines) if l.lstrip().startswith(("%", "tt.store"))]
    assert len(body) > 10
    for i in body:
        out = assert_clean_failure(compile_text(tvk_bin, tmp_path, "".join(lines[: i + 1]), "t.ttir"))
        m = re.search(r"t\.ttir:(\d+):", out)
        assert m, out
        assert int(m.group(1)) in (i + 1, i + 2), f"cut after line {i + 1}: {out}"


@pytest.mark.parametrize("percent", [30, 50, 70, 90])
def test_truncated_mid_token(tvk_bin, tmp_path, percent):
    text = without_locs(ADD.joinpath("kernel.ttir").read_text())
    cut = text[: len(text) * percent // 100]
    out = assert_clean_failure(compile_text(tvk_bin, tmp_path, cut, "t.ttir"))
    m = re.search(r"t\.ttir:(\d+):", out)
    assert m and int(m.group(1)) <= cut.count("\n") + 1, out


@pytest.mark.parametrize("garbage", [
    bytes(range(256)) * 3,
    b"\x00\x00\x00\x00",
    b"hello world {\n",
    b"module {\n  tt.func public @k() {\n    %0 = = =\n  }\n}\n",
    b"}}}}\n",
])
def test_garbage_ttir(tvk_bin, tmp_path, garbage):
    out = assert_clean_failure(compile_text(tvk_bin, tmp_path, garbage, "g.ttir"))
    assert re.search(r"g\.ttir(:\d+)?", out), out


def test_empty_ttir(tvk_bin, tmp_path):
    out = assert_clean_failure(compile_text(tvk_bin, tmp_path, "", "e.ttir"))
    assert "e.ttir" in out


def test_missing_ttir_file(tvk_bin, tmp_path):
    r = tvk(tvk_bin, "compile", tmp_path / "nope.ttir", "--target", "lavapipe",
            "-o", tmp_path / "o.spv")
    assert "nope.ttir" in assert_clean_failure(r)


def test_undefined_value_names_its_line(tvk_bin, tmp_path):
    lines = ADD.joinpath("kernel.ttir").read_text().splitlines(keepends=True)
    idx = next(i for i, l in enumerate(lines) if "arith.addf %x_5, %y_7" in l)
    lines[idx] = lines[idx].replace("%y_7", "%no_such_value")
    out = assert_clean_failure(compile_text(tvk_bin, tmp_path, "".join(lines), "u.ttir"))
    assert f"u.ttir:{idx + 1}:" in out, out
    assert "%no_such_value" in out, out


def test_type_mismatch_is_an_error(tvk_bin, tmp_path):
    """An operand whose use disagrees with its definition's type is rejected, not lowered."""
    text = ADD.joinpath("kernel.ttir").read_text()
    bad = text.replace("arith.addf %x_5, %y_7 : tensor<1024xf32>",
                       "arith.addf %x_5, %y_7 : tensor<512xf32>")
    assert bad != text
    assert_clean_failure(compile_text(tvk_bin, tmp_path, bad, "m.ttir"))


# --- ops the backend cannot lower ---------------------------------------------------------

INLINE_ASM = """#loc = loc("kernels.py":3:0)
module {
  tt.func public @asm_kernel(%x_ptr: !tt.ptr<i32> {tt.divisibility = 16 : i32} loc("x_ptr"(#loc))) attributes {noinline = false} {
    %0 = tt.make_range {end = 4 : i32, start = 0 : i32} : tensor<4xi32> loc(#loc1)
    %x = tt.splat %x_ptr : !tt.ptr<i32> -> tensor<4x!tt.ptr<i32>> loc(#loc2)
    %x_0 = tt.addptr %x, %0 : tensor<4x!tt.ptr<i32>>, tensor<4xi32> loc(#loc2)
    %v = tt.load %x_0 : tensor<4x!tt.ptr<i32>> loc(#loc3)
    %8 = tt.elementwise_inline_asm "mov.b32 $0, $1;" {constraints = "=r,r", packed_element = 1 : i32, pure = true} %v : tensor<4xi32> -> tensor<4xi32> loc(#loc4)
    tt.store %x_0, %8 : tensor<4x!tt.ptr<i32>> loc(#loc5)
    tt.return loc(#loc5)
  } loc(#loc)
} loc(#loc)
#loc1 = loc("kernels.py":4:20)
#loc2 = loc("kernels.py":5:20)
#loc3 = loc("kernels.py":5:12)
#loc4 = loc("kernels.py":6:8)
#loc5 = loc("kernels.py":7:4)
"""

EXTERN = """#loc = loc("kernels.py":40:0)
module {
  tt.func public @extern_kernel(%out: !tt.ptr<f32> loc("out"(#loc)), %x: f32 loc("x"(#loc))) attributes {noinline = false} {
    %0 = tt.extern_elementwise %x {libname = "", libpath = "", pure = true, symbol = "__nv_fast_expf"} : (f32) -> f32 loc(#loc1)
    tt.store %out, %0 : !tt.ptr<f32> loc(#loc2)
    tt.return loc(#loc2)
  } loc(#loc)
} loc(#loc)
#loc1 = loc("kernels.py":42:4)
#loc2 = loc("kernels.py":43:4)
"""

PRINT = """#loc = loc("kernels.py":40:0)
module {
  tt.func public @print_kernel(%n: i32 loc("n"(#loc))) attributes {noinline = false} {
    tt.print " v: " {hex = false, isSigned = array<i32: 1>} : %n : i32 loc(#loc1)
    tt.return loc(#loc2)
  } loc(#loc)
} loc(#loc)
#loc1 = loc("kernels.py":42:4)
#loc2 = loc("kernels.py":43:4)
"""


@pytest.mark.parametrize("text,op,line", [
    (INLINE_ASM, "tt.elementwise_inline_asm", 6),
    (EXTERN, "tt.extern_elementwise", 42),
])
def test_unsupported_op_names_op_and_python_line(tvk_bin, tmp_path, text, op, line):
    out = assert_clean_failure(compile_text(tvk_bin, tmp_path, text))
    assert re.search(rf"unsupported: {re.escape(op)} at kernels\.py:{line}\b", out), out
    assert not (tmp_path / "out.spv").exists()


def test_inline_asm_kernel_is_otherwise_supported(tvk_bin, tmp_path):
    """Without the inline asm the same kernel compiles: the error above is about that op."""
    text = INLINE_ASM.replace(
        '%8 = tt.elementwise_inline_asm "mov.b32 $0, $1;" {constraints = "=r,r", '
        'packed_element = 1 : i32, pure = true} %v : tensor<4xi32> -> tensor<4xi32>',
        "%8 = arith.addi %v, %v : tensor<4xi32>")
    assert text != INLINE_ASM
    r = compile_text(tvk_bin, tmp_path, text)
    assert r.returncode == 0, r.stderr


def test_print_kernel_compiles_with_its_debug_binding(tvk_bin, tmp_path):
    """tt.print is supported: the reflection names the debug record binding and the site."""
    (tmp_path / "k.ttir").write_text(PRINT)
    r = subprocess.run([tvk_bin, "compile", str(tmp_path / "k.ttir"), "--target", "lavapipe",
                        "-o", str(tmp_path / "out.spv"), "--reflection"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    refl = json.loads(r.stdout)
    assert refl["debug_binding"] == 2
    assert refl["debug_sites"][0]["where"] == "kernels.py:42"


# --- tvk run on broken cases --------------------------------------------------------------

def broken_case(tmp_path, edit_json=None, edit_files=None, case=ADD):
    d = tmp_path / case.name
    shutil.copytree(case, d)
    c = json.loads((d / "case.json").read_text())
    if edit_json:
        edit_json(c)
    (d / "case.json").write_text(json.dumps(c))
    if edit_files:
        edit_files(d)
    return d


def arg(c, name):
    return next(a for a in c["args"] if a["name"] == name)


def test_unmodified_copy_passes(tvk_bin, tmp_path):
    """The copy itself passes, so each failure below comes from its one edit."""
    r = tvk(tvk_bin, "run", broken_case(tmp_path))
    assert r.returncode == 0 and r.stdout.split()[-1] == "PASS", r.stdout + r.stderr


def _set_kind_num(c):
    arg(c, "x_ptr")["kind"] = 5


CASE_JSON_ERRORS = {
    "too_few_args": (lambda c: c["args"].pop(), r"kernel has 4 parameters, the case passes 3"),
    "too_many_args": (lambda c: c["args"].append(dict(c["args"][-1], name="m")),
                      r"kernel has 4 parameters, the case passes 5"),
    "buffer_as_scalar": (lambda c: arg(c, "x_ptr").update(kind="scalar", value=0),
                         r"x_ptr"),
    "buffer_as_i64_scalar": (lambda c: arg(c, "x_ptr").update(kind="scalar", value=0, type="i64"),
                             r"x_ptr.*buffer"),
    "scalar_as_buffer": (lambda c: arg(c, "n").update(kind="buffer", dtype="int32",
                                                      input="x_ptr.in.npy"),
                         r"'n'.*scalar"),
    "unknown_kind": (lambda c: arg(c, "x_ptr").update(kind="tensor"), r"unknown kind tensor"),
    "kind_not_a_string": (_set_kind_num, r"'kind' must be a string"),
    "grid_not_numbers": (lambda c: c.update(grid=["a", 1, 1]), r"grid"),
    "wrong_dtype": (lambda c: arg(c, "x_ptr").update(dtype="float64"), r"does not hold float64"),
    "unknown_dtype": (lambda c: arg(c, "x_ptr").update(dtype="complex128"), r"x_ptr"),
    "negative_offset": (lambda c: arg(c, "x_ptr").update(offset=-1), r"offset -1"),
    "offset_past_end": (lambda c: arg(c, "x_ptr").update(offset=10**9), r"offset"),
    "scalar_without_value": (lambda c: arg(c, "n").pop("value"), r"no value"),
    "i32_value_too_big": (lambda c: arg(c, "n").update(value=2**40),
                          r"'n' value 1099511627776 does not fit its type i32"),
    "i32_value_too_small": (lambda c: arg(c, "n").update(value=-2**31 - 1), r"does not fit"),
    "i32_value_not_integral": (lambda c: arg(c, "n").update(value=1.5), r"needs an integer"),
    "scalar_value_not_a_number": (lambda c: arg(c, "n").update(value="abc"), r"not a number"),
    "num_warps_zero": (lambda c: c.update(num_warps=0), r"num_warps must be positive"),
    "grid_negative": (lambda c: c.update(grid=[-1, 1, 1]), r"grid"),
}


@pytest.mark.parametrize("value", [2**31 - 1, -2**31, 2**32 - 1])
def test_i32_range_edges_are_accepted(tvk_bin, tmp_path, value):
    """Values at the edges of i32 (signed or unsigned reading) are packed, not rejected. The
    grid is emptied so that no program runs (a large n would access past the buffers): the run
    completes and FAILs only because out_ptr stays unwritten."""
    def edit(c):
        arg(c, "n").update(value=value)
        c["grid"] = [0, 1, 1]
    r = tvk(tvk_bin, "run", broken_case(tmp_path, edit))
    assert r.returncode >= 0 and "error:" not in r.stdout + r.stderr, r.stdout + r.stderr
    assert r.stdout.split()[-1] == "FAIL" and "out_ptr float32 n=10007" in r.stdout, r.stdout


@pytest.mark.parametrize("what", sorted(CASE_JSON_ERRORS))
def test_bad_case_json(tvk_bin, tmp_path, what):
    edit, pattern = CASE_JSON_ERRORS[what]
    out = assert_clean_failure(tvk(tvk_bin, "run", broken_case(tmp_path, edit)))
    assert re.search(pattern, out), out
    assert "FAIL" in out.split()


def test_case_json_not_json(tvk_bin, tmp_path):
    d = broken_case(tmp_path, edit_files=lambda d: (d / "case.json").write_text("{ not json"))
    out = assert_clean_failure(tvk(tvk_bin, "run", d))
    assert "case.json" in out


def test_missing_case_dir(tvk_bin, tmp_path):
    out = assert_clean_failure(tvk(tvk_bin, "run", tmp_path / "no_such_case"))
    assert "case.json" in out


@pytest.mark.parametrize("npy", ["y_ptr.in.npy", "out_ptr.out.npy"])
def test_missing_npy(tvk_bin, tmp_path, npy):
    d = broken_case(tmp_path, edit_files=lambda d: (d / npy).unlink())
    out = assert_clean_failure(tvk(tvk_bin, "run", d))
    assert npy in out


def test_truncated_npy(tvk_bin, tmp_path):
    def cut(d):
        data = (d / "x_ptr.in.npy").read_bytes()
        (d / "x_ptr.in.npy").write_bytes(data[: len(data) // 2])
    out = assert_clean_failure(tvk(tvk_bin, "run", broken_case(tmp_path, edit_files=cut)))
    assert "x_ptr.in.npy" in out


def test_expected_of_other_size(tvk_bin, tmp_path):
    def shrink(d):
        np.save(d / "out_ptr.out.npy", np.load(d / "out_ptr.out.npy")[:-1])
    out = assert_clean_failure(tvk(tvk_bin, "run", broken_case(tmp_path, edit_files=shrink)))
    assert "out_ptr.out.npy" in out


def run_fails(tvk_bin, d):
    """`tvk run` completes the launch but reports FAIL with a non-zero exit."""
    r = tvk(tvk_bin, "run", d)
    out = r.stdout + r.stderr
    assert r.returncode > 0, f"exit {r.returncode}:\n{out}"
    assert r.stdout.split()[-1] == "FAIL", out
    assert "PASS" not in r.stdout.split(), out
    return r.stdout


def test_input_too_small_for_the_kernel_fails(tvk_bin, tmp_path):
    """x is 100 elements but the kernel reads n=10007: the runner cannot know the kernel's
    extent, but out-of-range reads must not produce a PASS (nor crash)."""
    edit = lambda d: np.save(d / "x_ptr.in.npy", np.zeros(100, np.float32))
    out = run_fails(tvk_bin, broken_case(tmp_path, edit_files=edit))
    assert re.search(r"out_ptr float32 n=10007 .*mismatches=[1-9]", out), out


@pytest.mark.parametrize("index", [0, 5, 10006])
def test_corrupted_expected_output_fails(tvk_bin, tmp_path, index):
    def corrupt(d):
        a = np.load(d / "out_ptr.out.npy")
        a[index] += 1.0
        np.save(d / "out_ptr.out.npy", a)
    out = run_fails(tvk_bin, broken_case(tmp_path, edit_files=corrupt))
    assert re.search(rf"out_ptr float32 n=10007 \S+ mismatches=1  first at \[{index}\]", out), out


def test_small_error_beyond_tolerance_fails(tvk_bin, tmp_path):
    """An expected value off by 100 x (atol + rtol |x|) is caught (the tolerance is applied)."""
    def nudge(d):
        c = json.loads((d / "case.json").read_text())
        tol = arg(c, "out_ptr")["tolerance"]
        a = np.load(d / "out_ptr.out.npy")
        a[7] += np.float32(100 * (tol["atol"] + tol["rtol"] * abs(float(a[7]))))
        np.save(d / "out_ptr.out.npy", a)
    out = run_fails(tvk_bin, broken_case(tmp_path, edit_files=nudge))
    assert "first at [7]" in out, out


def test_written_buffer_that_must_stay_unchanged_fails(tvk_bin, tmp_path):
    """Dropping `expected` makes out_ptr a must-stay-unchanged buffer; the kernel writes it."""
    out = run_fails(tvk_bin, broken_case(tmp_path, lambda c: arg(c, "out_ptr").pop("expected")))
    assert re.search(r"out_ptr float32 n=10007 \S+ mismatches=[1-9]\d* .*\(must be unchanged\)",
                     out), out


def _out_as_unchanged(c):
    a = arg(c, "out_ptr")
    a.pop("expected")
    a["input"] = "out_ptr.out.npy"


def test_unchanged_buffer_control_passes(tvk_bin, tmp_path):
    """out_ptr starting as CUDA's result and declared must-stay-unchanged: the kernel rewrites
    x + y (exact in f32) over it, so nothing changes and the run passes."""
    r = tvk(tvk_bin, "run", broken_case(tmp_path, _out_as_unchanged))
    assert r.returncode == 0 and r.stdout.split()[-1] == "PASS", r.stdout + r.stderr
    assert "out_ptr float32 n=10007 max_abs_err=0 mismatches=0 (must be unchanged)" in r.stdout


@pytest.mark.parametrize("index", [0, 9, 10006])
def test_changed_value_in_unchanged_buffer_fails(tvk_bin, tmp_path, index):
    """The same, with one input value the kernel overwrites: that buffer changed -> FAIL."""
    def edit(d):
        a = np.load(d / "out_ptr.out.npy")
        a[index] += 1.0
        np.save(d / "out_ptr.out.npy", a)
    out = run_fails(tvk_bin, broken_case(tmp_path, _out_as_unchanged, edit))
    assert re.search(rf"out_ptr float32 n=10007 \S+ mismatches=1 \(must be unchanged\)  "
                     rf"first at \[{index}\]", out), out


# --- targets and devices ------------------------------------------------------------------

def test_unknown_target_lists_profiles(tvk_bin, tmp_path):
    r = tvk(tvk_bin, "compile", ADD / "kernel.ttir", "--target", "no-such-profile",
            "-o", tmp_path / "o.spv")
    out = assert_clean_failure(r)
    assert "no-such-profile" in out
    m = re.search(r"known: ([^)\n]+)", out)
    assert m, out
    profiles = [p.strip() for p in m.group(1).split(",")]
    assert "lavapipe" in profiles
    for p in profiles:  # every listed profile is real
        r = tvk(tvk_bin, "compile", ADD / "kernel.ttir", "--target", p, "-o", tmp_path / f"{p}.spv")
        assert r.returncode == 0, f"{p}: {r.stderr}"


@pytest.mark.parametrize("cmd", ["compile", "opt"])
@pytest.mark.parametrize("warps", ["0", "-1", "abc"])
def test_bad_num_warps(tvk_bin, tmp_path, cmd, warps):
    extra = ["-o", tmp_path / "o.spv"] if cmd == "compile" else ["--print=ir"]
    r = tvk(tvk_bin, cmd, ADD / "kernel.ttir", "--target", "lavapipe", "--num-warps", warps, *extra)
    assert "--num-warps" in assert_clean_failure(r)


def test_unknown_command_and_missing_output(tvk_bin, tmp_path):
    r = tvk(tvk_bin, "no-such-command")
    assert r.returncode > 0 and "unknown command 'no-such-command'" in r.stderr, r.stderr
    r = tvk(tvk_bin, "compile", ADD / "kernel.ttir", "--target", "lavapipe")
    assert r.returncode > 0, r.stdout + r.stderr


def test_devices_prints_subgroup_and_shared_memory(tvk_bin, tmp_path):
    r = tvk(tvk_bin, "devices")
    assert r.returncode == 0, r.stderr
    assert re.search(r"^\[0\] \S", r.stdout, re.M), r.stdout
    sg = re.search(r"subgroup size: (\d+)", r.stdout)
    smem = re.search(r"shared memory: (\d+) bytes", r.stdout)
    assert sg and smem, r.stdout
    subgroup, shared = int(sg.group(1)), int(smem.group(1))
    assert subgroup > 0 and subgroup & (subgroup - 1) == 0
    assert shared >= 16384  # Vulkan's required minimum of maxComputeSharedMemorySize
    # The compiler uses the same numbers for device 0: the reflection's subgroup size.
    r = tvk(tvk_bin, "compile", ADD / "kernel.ttir", "--device", "0", "-o", tmp_path / "o.spv",
            "--reflection")
    assert r.returncode == 0, r.stderr
    assert re.search(rf'"subgroup_size": {subgroup}\b', r.stdout), r.stdout
    # And they agree with the Vulkan driver's own report, where vulkaninfo is installed.
    vi = shutil.which("vulkaninfo")
    if vi:
        info = subprocess.run([vi], capture_output=True, text=True, timeout=120).stdout
        m = re.search(r"maxComputeSharedMemorySize\s*=\s*(\d+)", info)
        if m:
            assert int(m.group(1)) == shared
        m = re.search(r"\bsubgroupSize\s*=\s*(\d+)", info)
        if m:
            assert int(m.group(1)) == subgroup
