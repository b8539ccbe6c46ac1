"""Layout vector width v (analysis/vector_width.h): which tensors get v > 1 (printed by
`tvk opt --print=layouts`), the vector loads/stores in the SPIR-V, and runs of add_f32
variants that take each access path (vector under one mask branch, vector under the AND of a
run's masks with per-element fallback, a scalar access in a v = 4 layout, a pointer offset)."""
import json
import pathlib
import re
import shutil
import subprocess

import numpy as np
import pytest

CASES = pathlib.Path(__file__).resolve().parents[1] / "conformance" / "cases"


def tvk(tvk_bin, *args):
    r = subprocess.run([tvk_bin, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def layouts(tvk_bin, kernel, *extra):
    if "--num-warps" not in extra:
        extra = ("--num-warps", 4) + extra
    out = tvk(tvk_bin, "opt", kernel, "--print=layouts", *extra)
    return dict(re.findall(r"^(%\S+) : .* -> (.*)$", out, re.M))


def asm(tvk_bin, kernel, tmp_path, num_warps=4):
    tvk(tvk_bin, "compile", kernel, "--target", "lavapipe", "--num-warps", num_warps, "--asm",
        "-o", tmp_path / "k.spvasm")
    return (tmp_path / "k.spvasm").read_text()


def test_add_f32_gets_v4(tvk_bin):
    # x/y/out divisible by 16 bytes, offsets pid*1024 + arange: 16-byte runs of 4 floats.
    for target, w, r in [("lavapipe", 32, 32), ("nvidia-hopper", 128, 8)]:
        l = layouts(tvk_bin, CASES / "add_f32" / "kernel.ttir", "--target", target)
        assert len(l) == 14, l
        for name, lay in l.items():
            assert lay == f"blocked<1024> W={w} v=4 R={r}", (target, name, lay)


def test_softmax_keeps_v1(tvk_bin):
    # Row pointers `in_ptr + row * in_stride` are only 4-byte aligned (in_stride has no
    # divisibility) and the row is reduced (tt.reduce pins its class): v = 1 everywhere.
    l = layouts(tvk_bin, CASES / "softmax" / "kernel.ttir", "--target", "nvidia-hopper")
    assert l and all(" v=1 " in lay for lay in l.values()), l


def test_add_f32_loads_vectors(tvk_bin, tmp_path):
    s = asm(tvk_bin, CASES / "add_f32" / "kernel.ttir", tmp_path)
    assert "OpDecorate %_runtimearr_v4float ArrayStride 16" in s
    # W = 32, R = 32: 8 runs of 4 per invocation; two vector loads and one store per run.
    assert len(re.findall(r"= OpLoad %v4float ", s)) == 16
    assert len(re.findall(r"OpAccessChain %_ptr_StorageBuffer_v4float ", s)) == 24
    # n has no divisibility: `offs < n` may change inside a run, so each run also has
    # per-element fallback accesses.
    assert len(re.findall(r"= OpLoad %float ", s)) == 64


def test_softmax_has_no_vector_access(tvk_bin, tmp_path):
    s = asm(tvk_bin, CASES / "softmax" / "kernel.ttir", tmp_path)
    assert "v4float" not in s


def variant(tmp_path, edit, n=10007, x_offset=0, num_warps=4):
    """add_f32 copy with its kernel text edited, n elements and x read at `x_offset`."""
    d = tmp_path / "case"
    shutil.copytree(CASES / "add_f32", d)
    k = d / "kernel.ttir"
    k.write_text(edit(k.read_text()))
    case = json.loads((d / "case.json").read_text())
    rng = np.random.default_rng(7)
    x = rng.standard_normal(10007 + x_offset).astype(np.float32)
    y = rng.standard_normal(10007).astype(np.float32)
    out = rng.standard_normal(10007).astype(np.float32)
    exp = out.copy()
    exp[:n] = x[x_offset:x_offset + n] + y[:n]
    for name, a in [("x_ptr.in", x), ("y_ptr.in", y), ("out_ptr.in", out), ("out_ptr.out", exp)]:
        np.save(d / f"{name}.npy", a)
    case["num_warps"] = num_warps
    for a in case["args"]:
        if a["name"] == "x_ptr":
            a["offset"] = x_offset
        if a["name"] == "n":
            a["value"] = n
    (d / "case.json").write_text(json.dumps(case))
    return d


def run_pass(tvk_bin, d):
    r = subprocess.run([tvk_bin, "run", d], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.split()[-1] == "PASS", r.stdout + r.stderr


def test_divisible_bound_takes_one_branch_per_vector(tvk_bin, tmp_path):
    # n divisible by 16: `offs < n` is constant on each run, so no per-element fallback.
    d = variant(tmp_path, lambda t: t.replace("%n: i32", "%n: i32 {tt.divisibility = 16 : i32}", 1),
                n=10000)
    s = asm(tvk_bin, d / "kernel.ttir", tmp_path)
    assert len(re.findall(r"= OpLoad %v4float ", s)) == 16
    assert len(re.findall(r"= OpLoad %float ", s)) == 0
    run_pass(tvk_bin, d)


def test_partial_runs_fall_back_per_element(tvk_bin, tmp_path):
    # n = 10007 ends inside a run of 4 (the captured case) and n = 10005 too.
    for n in (10007, 10005):
        run_pass(tvk_bin, variant(tmp_path / str(n), lambda t: t, n=n))


def test_unaligned_pointer_stays_scalar_in_v4_layout(tvk_bin, tmp_path):
    # x_ptr without divisibility: x is loaded per element, y and out still as vectors.
    d = variant(tmp_path, lambda t: t.replace(
        "%x_ptr: !tt.ptr<f32> {tt.divisibility = 16 : i32}", "%x_ptr: !tt.ptr<f32>", 1),
        x_offset=1)
    s = asm(tvk_bin, d / "kernel.ttir", tmp_path)
    assert len(re.findall(r"= OpLoad %v4float ", s)) == 8
    run_pass(tvk_bin, d)


def test_aligned_pointer_offset(tvk_bin, tmp_path):
    # x_ptr 16 bytes into its storage (base_elems may be non-zero, a multiple of 4).
    run_pass(tvk_bin, variant(tmp_path, lambda t: t, x_offset=4))
    run_pass(tvk_bin, variant(tmp_path / "b", lambda t: t, x_offset=64))


@pytest.mark.parametrize("case,num_warps,v", [
    ("add_f32", 16, 4),   # W = 128 on lavapipe (subgroup 8): vec4 float
    ("add_f32", 32, 4),   # W = 256: vec4 float, one run per access
    ("add_f16", 4, 8),    # W = 32: 8 halves = uvec4 words split into f16vec2
    ("add_f16", 16, 4),   # W = 128: 4 halves = uvec2
    ("add_f16", 32, 2),   # W = 256: 2 halves = one uint word
])
def test_run_widths(tvk_bin, tmp_path, case, num_warps, v):
    d = tmp_path / case
    shutil.copytree(CASES / case, d)
    c = json.loads((d / "case.json").read_text())
    c["num_warps"] = num_warps
    (d / "case.json").write_text(json.dumps(c))
    l = layouts(tvk_bin, d / "kernel.ttir", "--target", "lavapipe", "--num-warps", num_warps)
    assert l and all(f" v={v} " in lay for lay in l.values()), l
    run_pass(tvk_bin, d)


def test_vec2_float(tmp_path, tvk_bin):
    # BLOCK = 512 on W = 256: v = 2 (vec2 float runs); 10 programs cover 5120 elements.
    d = variant(tmp_path, lambda t: t.replace("1024", "512"), n=5120, num_warps=32)
    l = layouts(tvk_bin, d / "kernel.ttir", "--target", "lavapipe", "--num-warps", 32)
    assert l and all(" v=2 " in lay for lay in l.values()), l
    assert "= OpLoad %v2float " in asm(tvk_bin, d / "kernel.ttir", tmp_path, 32)
    run_pass(tvk_bin, d)


def test_add_f16_moves_words(tvk_bin, tmp_path):
    # 8 halves per run on W = 32: one uvec4 load per run and operand, split by f16vec2 bitcasts.
    s = asm(tvk_bin, CASES / "add_f16" / "kernel.ttir", tmp_path)
    assert "OpCapability Float16" in s
    assert len(re.findall(r"= OpLoad %v4uint ", s)) == 4  # R = 16: 2 runs x 2 loads
    assert len(re.findall(r"= OpBitcast %v2half ", s)) == 16
