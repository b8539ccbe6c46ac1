"""GPUTarget.arch strings ↔ compiler targets.

The driver describes a device as GPUTarget("vulkan", arch, subgroup_size) with
arch = "<device name>|<digest of every Target field>", so that Triton's cache keys (which contain
backend.hash(), built from arch) change whenever any device fact the compiler uses changes.
An arch may also be a profile name (`lavapipe`, `nvidia-hopper`, ...) to compile without a device."""
import hashlib

from .. import _C

_by_arch = {}


def arch_of(target):
    """The arch string of an _C.Target (and remembers the target for that string)."""
    digest = hashlib.sha256(target.describe().encode()).hexdigest()[:16]
    arch = f"{target.name}|{digest}"
    _by_arch[arch] = target
    return arch


def target_of(arch):
    """The _C.Target an arch string names: a device seen by this process, else a profile."""
    t = _by_arch.get(arch)
    if t is not None:
        return t
    name = str(arch).split("|", 1)[0]
    try:
        return _C.target_profile(name)
    except _C.CompilationError:
        pass
    if _C.has_runtime:
        targets = [_C.open_device(info["index"]).target for info in _C.devices()]
        for t in targets:
            if arch_of(t) == arch:
                return t
        # Same device, other facts: an arch from before a driver or triton_vulkan update (as
        # Inductor's on-disk caches keep them). Its kernels compile for the device as it is now;
        # the new facts are in the new arch, so Triton's cache does not reuse the old binaries.
        for t in targets:
            if t.name == name:
                return t
    raise _C.CompilationError(f"unknown Vulkan target '{arch}': not a device of this machine nor a profile "
                              f"({', '.join(_C.target_profile_names())})")
