"""Shared pieces of the triton_vulkan tests (imported by conftest.py and the test modules)."""
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
XFAIL_FILE = HERE / "expected_failures.txt"


def trunc_div(x, y):
    """Integer division truncated towards zero (C and Triton semantics) of numpy arrays;
    numpy's // floors."""
    import numpy as np
    q = np.abs(x) // np.abs(y)
    return np.where((x < 0) != (y < 0), -q, q)


def run_at_lavapipe_width(code, width, subgroup, tmp_path, timeout=900):
    """Runs `code` in a fresh process with LP_NATIVE_VECTOR_WIDTH=width (lavapipe's subgroup size
    is read when the device is created). The script prints `SUBGROUP <n>` first, then `ALL OK` or
    its failures; returns those later lines, or skips when the device is not lavapipe at `subgroup`."""
    import pytest
    env = dict(os.environ, LP_NATIVE_VECTOR_WIDTH=width, TRITON_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    if lines[0] != f"SUBGROUP {subgroup}":
        pytest.skip(f"the default Vulkan device is not lavapipe at this width ({lines[0]})")
    return lines[1:]


CHECKS_SCRIPT = r"""
import sys
sys.path[:0] = [{here!r}, {python!r}]
import triton  # before triton_vulkan: Triton's backend discovery imports an installed plugin
import triton_vulkan as tv
tv.activate()
import {module}
print('SUBGROUP', tv.device().target.subgroup_size)
bad = []
for name, check in sorted({module}.CHECKS.items()):
    bad += check()
print('\n'.join(bad[:20]) if bad else 'ALL OK')
"""


def run_checks_at_lavapipe_width(module, width, subgroup, tmp_path, timeout=900):
    """Runs every entry of `module`.CHECKS (a test module beside this one; each returns a list of
    mismatch descriptions) in a fresh process at LP_NATIVE_VECTOR_WIDTH=width; returns
    ["ALL OK"] or the first 20 mismatches (run_at_lavapipe_width)."""
    code = CHECKS_SCRIPT.format(here=str(HERE), python=str(ROOT / "python"), module=module)
    return run_at_lavapipe_width(code, width, subgroup, tmp_path, timeout=timeout)


ADD_GLSL = """#version 450
layout(local_size_x = 32) in;
layout(set = 0, binding = 0) buffer X { float x[]; };
layout(set = 0, binding = 1) buffer Y { float y[]; };
layout(set = 0, binding = 2) buffer O { float o[]; };
layout(push_constant) uniform PC { uint pid_base[3]; uint num_programs[3]; uint bx; uint by; uint bo; int n; } pc;
void main() {
  uint pid = gl_WorkGroupID.x + pc.pid_base[0];
  for (uint i = gl_LocalInvocationID.x; i < 1024u; i += 32u) {
    int off = int(pid * 1024u + i);
    if (off < pc.n) o[pc.bo + off] = x[pc.bx + off] + y[pc.by + off];
  }
}
"""


def _buf(name, binding, push, written):
    return {"kind": "buffer", "name": name, "type": "!tt.ptr<f32>", "size": 4, "binding": binding,
            "push_offset": push, "read": not written, "written": written, "alignment": 16}


ADD_REFLECTION = {
    "entry": "main",
    "args": [_buf("x_ptr", 0, 24, False), _buf("y_ptr", 1, 28, False), _buf("out_ptr", 2, 32, True),
             {"kind": "scalar", "name": "n", "type": "i32", "size": 4, "binding": -1, "push_offset": 36,
              "read": False, "written": False, "alignment": 1}],
    "push_constant_bytes": 40, "workgroup_size": (32, 1, 1), "subgroup_size": 0, "num_warps": 4,
    "shared_bytes": 0, "features": [],
}


# A kernel that runs until flag[0] != 0 or each program has done n (<= 65000) iterations of 512
# dependent FMAs (about 0.1 s of lavapipe time per program): a grid of 50000 programs runs for
# hours unless the flag is set, after which it ends within milliseconds. lavapipe ends loops after
# 65535 iterations in all (nested loops share that budget: Target::maxLoopIterations), hence
# the long loop body; its loops end early only when every SIMD lane leaves them, hence one full subgroup per
# workgroup (WG). Every program adds its iteration count to out[0]. (Same kernel as
# src/runtime/glsl_testing.h kSpinGlsl.)
SPIN_GLSL = """#version 450
layout(local_size_x = WG) in;
layout(push_constant) uniform PC { uint pid_base[3]; uint num_programs[3];
  uint flag_base; uint out_base; uint n; } pc;
layout(set = 0, binding = 0) coherent volatile buffer F { uint flag[]; };
layout(set = 0, binding = 1) buffer O { uint o[]; };
#define STEP x = x * 0.999999 + 0.5;
#define STEP8 STEP STEP STEP STEP STEP STEP STEP STEP
#define STEP64 STEP8 STEP8 STEP8 STEP8 STEP8 STEP8 STEP8 STEP8
#define STEP512 STEP64 STEP64 STEP64 STEP64 STEP64 STEP64 STEP64 STEP64
void main() {
  float x = float(gl_GlobalInvocationID.x);
  uint count = 0u;
  for (uint i = 0u; i < pc.n; ++i) {
    if (flag[pc.flag_base] != 0u) break;
    STEP512
    count++;
  }
  if (x == -1.0) o[pc.out_base + 1u] = 1u;
  if (gl_LocalInvocationIndex == 0u) atomicAdd(o[pc.out_base], count);
}
"""


def _u32(name, binding, push, written):
    return {"kind": "buffer", "name": name, "type": "!tt.ptr<i32>", "size": 4, "binding": binding,
            "push_offset": push, "read": True, "written": written, "alignment": 4}


def spin_reflection(subgroup_size):
    """The reflection of SPIN_GLSL compiled with WG = `subgroup_size`."""
    return {"entry": "main",
            "args": [_u32("flag", 0, 24, False), _u32("out", 1, 28, True),
                     {"kind": "scalar", "name": "n", "type": "i32", "size": 4, "binding": -1, "push_offset": 32,
                      "read": False, "written": False, "alignment": 1}],
            "push_constant_bytes": 36, "workgroup_size": (subgroup_size, 1, 1), "subgroup_size": 0,
            "num_warps": 1, "shared_bytes": 0, "features": []}


def compile_glsl(source, directory, name):
    """SPIR-V bytes of a GLSL compute shader (glslangValidator, Vulkan 1.1)."""
    import shutil
    import subprocess
    exe = shutil.which("glslangValidator")
    if exe is None:
        raise RuntimeError("glslangValidator is missing (Debian glslang-tools)")
    src, spv = directory / f"{name}.comp", directory / f"{name}.spv"
    src.write_text(source)
    subprocess.run([exe, "-V", "--target-env", "vulkan1.1", str(src), "-o", str(spv)], check=True,
                   capture_output=True)
    return spv.read_bytes()


def spin_kernel(tv, dev, directory):
    """SPIN_GLSL as a triton_vulkan.Kernel on `dev`."""
    wg = dev.target.subgroup_size
    spirv = compile_glsl(SPIN_GLSL.replace("WG", str(wg)), directory, f"spin{wg}")
    return tv.Kernel(spirv, spin_reflection(wg), dev)


def add_kernel(tv, dev, directory):
    """ADD_GLSL as a triton_vulkan.Kernel on `dev`."""
    return tv.Kernel(compile_glsl(ADD_GLSL, directory, "add"), ADD_REFLECTION, dev)
