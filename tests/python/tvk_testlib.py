"""Shared pieces of the triton_vulkan tests (imported by conftest.py and the test modules)."""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
XFAIL_FILE = HERE / "expected_failures.txt"


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
