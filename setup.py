"""Build hook for pyproject.toml: the native extension triton_vulkan._C is built by CMake.

If python/triton_vulkan/_C<EXT_SUFFIX> for this interpreter exists (`make` built it), it is packaged as is;
otherwise CMake + Ninja build it first (build directory: $TVK_BUILD or build-pip/)."""
import os
import subprocess
import sys
import sysconfig

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

ROOT = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.join(ROOT, "python", "triton_vulkan")


def _built():
    """The extension built for this interpreter (its EXT_SUFFIX), if any."""
    path = os.path.join(PKG, "_C" + sysconfig.get_config_var("EXT_SUFFIX"))
    return [path] if os.path.exists(path) else []


class BuildPyWithCMake(build_py):
    def run(self):
        if not _built():
            build = os.environ.get("TVK_BUILD", os.path.join(ROOT, "build-pip"))
            jobs = os.environ.get("JOBS", "2")
            # TVK_TORCH_PYTHON: the "tvk" torch device is built too when this Python has torch >= 2.4.
            subprocess.check_call(["cmake", "-S", ROOT, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                                   f"-DPython3_EXECUTABLE={sys.executable}", f"-DTVK_TORCH_PYTHON={sys.executable}"])
            subprocess.check_call(["ninja", "-C", build, "-j", jobs, "tvk_python"])
        if not _built():
            raise RuntimeError("triton_vulkan._C was not built")
        super().run()


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return True


# setuptools' scratch space goes to build-pip/, not build/ (the CMake build directory).
os.makedirs(os.path.join(ROOT, "build-pip"), exist_ok=True)
setup(cmdclass={"build_py": BuildPyWithCMake}, distclass=BinaryDistribution,
      options={"build": {"build_base": os.path.join("build-pip", "setuptools")},
               "egg_info": {"egg_base": "build-pip"}})
