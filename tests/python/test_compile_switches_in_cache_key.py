"""Every measurement switch the native compiler reads (each "TVK_..." name in src/ir,
src/analysis, src/compiler and src/lower) changes the SPIR-V, so Triton's cache key (VulkanBackend.hash)
must name it: otherwise a run with the switch set reuses the kernels compiled without it, and
an A/B measurement in one process or cache compares a variant with itself."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_compiler_switch_is_in_the_cache_key():
    switches = set()
    for d in ("ir", "analysis", "compiler", "lower"):
        for f in (ROOT / "src" / d).rglob("*.cc"):
            switches |= set(re.findall(r'"(TVK_[A-Z0-9_]+)"', f.read_text()))
    assert switches, "no switches found: the pattern is out of date"
    src = (ROOT / "python" / "triton_vulkan" / "backend" / "compiler.py").read_text()
    key = src[src.index("def hash(", src.index("class VulkanBackend")):]
    key = key[:key.index("\n    def ", 1)]
    missing = sorted(s for s in switches if f"environ.get('{s}'" not in key)
    assert not missing, f"compiler switches missing from VulkanBackend.hash: {missing}"
