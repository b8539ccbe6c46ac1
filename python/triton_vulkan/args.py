"""Turning Python launch arguments into what the native launch takes.

Buffers: a tensor in Vulkan memory passes its data_ptr() (zero copy). A CPU torch tensor or a
numpy array elsewhere is staged: its whole storage is copied into a temporary Vulkan allocation,
and copied back after the launch only when the reflection record says the kernel writes it;
arguments whose storages overlap (views, or distinct storages over the same memory) share one copy.
Scalars: Python int/float/bool (numpy scalars are converted); the native side packs and range-checks.
The plain API (`triton_vulkan.compile`, `Kernel`) checks each tensor's dtype against the kernel's
pointer type exactly (signless TTIR integers accept either signedness; bf16/fp8 also accept raw
bits as 16/8-bit integers); Triton's launcher checks dtypes itself. A 0-element tensor or array
is passed as a small placeholder allocation (the kernel must not access it). Numpy views with
negative strides are refused (kernels address memory upward from the pointer).
"""
import bisect
import operator

from . import _C
from .errors import VulkanError
from .memory import Staged, storage_span, numpy_span, empty_buffer_address
from .torch_device import NAME as DEVICE_NAME

# TTIR pointee type -> dtype names (torch and numpy spell these alike) a tensor may have.
_DTYPES = {
    "f32": ("float32",), "f16": ("float16",), "f64": ("float64",),
    "bf16": ("bfloat16", "int16", "uint16"),
    "f8E4M3FN": ("float8_e4m3fn", "uint8", "int8"), "f8E5M2": ("float8_e5m2", "uint8", "int8"),
    "f8E4M3FNUZ": ("float8_e4m3fnuz", "uint8", "int8"), "f8E5M2FNUZ": ("float8_e5m2fnuz", "uint8", "int8"),
    "i1": ("bool", "int8", "uint8"), "i8": ("int8", "uint8"), "i16": ("int16", "uint16"),
    "i32": ("int32", "uint32"), "i64": ("int64", "uint64"),
}


def pointee(ty):
    """'f32' from '!tt.ptr<f32>' (or from 'f32'); None when not a plain pointer type."""
    if ty.startswith("!tt.ptr<") and ty.endswith(">"):
        ty = ty[len("!tt.ptr<"):-1].split(",")[0].strip()
    return ty if ty in _DTYPES else None


def dtype_names(info):
    """The dtype names a buffer argument accepts, or None when only its element size is known."""
    p = pointee(info["type"])
    return _DTYPES[p] if p else None


def _dtype_name(v):
    dt = getattr(v, "dtype", None)
    if dt is None:
        return None
    name = getattr(dt, "name", None)  # numpy
    return name if isinstance(name, str) else str(dt).rsplit(".", 1)[-1]  # torch.float32 -> float32


def _numel(v):
    n = getattr(v, "numel", None)
    if callable(n):
        return n()
    n = getattr(v, "size", None)
    return n if isinstance(n, int) else None


def _type_name(v):
    t = type(v)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


def _itemsize(v):
    if hasattr(v, "element_size"):
        return v.element_size()
    if hasattr(v, "itemsize"):
        return v.itemsize
    dt = getattr(v, "dtype", None)
    return getattr(dt, "itemsize", None)


class _Span:
    """A host argument to stage: its pointer, the storage span [start, start + nbytes) around
    it, and whether the kernel writes it (resolved to an address by _stage_all)."""
    __slots__ = ("ptr", "start", "nbytes", "written")

    def __init__(self, ptr, start, nbytes, written):
        self.ptr, self.start, self.nbytes, self.written = ptr, start, nbytes, written


def _stage_all(dev, values):
    """Replaces each _Span in `values` by its staged address; returns the Staged regions. Spans
    that overlap (views of one storage, or distinct torch storages / numpy arrays over the same
    memory) share one copy of their union, so that every argument sees, and writes back, the
    same bytes: separate copies would each be copied back whole, the last one over the
    others' results."""
    spans = sorted({(v.start, v.nbytes) for v in values if isinstance(v, _Span)})
    groups = []  # [start, end] of each union, in address order
    for start, nbytes in spans:
        if groups and start < groups[-1][1]:
            groups[-1][1] = max(groups[-1][1], start + nbytes)
        else:
            groups.append([start, start + nbytes])
    starts = [g[0] for g in groups]
    group = {i: bisect.bisect_right(starts, v.start) - 1 for i, v in enumerate(values) if isinstance(v, _Span)}
    written = [False] * len(groups)
    for i, g in group.items():
        written[g] = written[g] or values[i].written
    staged = [Staged(dev, g[0], g[1] - g[0], w) for g, w in zip(groups, written)]
    for i, g in group.items():
        values[i] = staged[g].address + (values[i].ptr - staged[g].host)
    return staged


_warned_staging = False


def _warn_staging():
    """Once per process: CPU tensors are copied for each launch (the tvk device avoids it)."""
    global _warned_staging
    if _warned_staging:
        return
    _warned_staging = True
    from .torch_device import is_registered
    if is_registered():
        import warnings
        warnings.warn(f"triton_vulkan: CPU tensors passed to a kernel are copied into Vulkan memory for each "
                      f"launch (and back when written); tensors on device '{DEVICE_NAME}' are passed without "
                      f"copies (reported once)", stacklevel=4)


def _check_extent(info, ptr, start, nbytes):
    """Rejects a buffer smaller than the kernel provably accesses (reflection max_elem_index)."""
    last = info.get("max_elem_index", -1)
    if last is None or last < 0:
        return
    need, have = (last + 1) * info["size"], start + nbytes - ptr
    if have < need:
        raise ValueError(f"argument '{info['name']}' is too small: the kernel accesses elements up to index "
                         f"{last} ({need} bytes) but the tensor's storage has {have} bytes from its start")


def _check_dtype(info, v):
    """Exact dtype check of the plain API (TypeError naming both types)."""
    names = dtype_names(info)
    got = _dtype_name(v)
    if names is None or got is None or got in names:
        return
    raise TypeError(f"argument '{info['name']}' is {got}, the kernel's {info['type']} takes "
                    f"{' or '.join(names)} (.view() a tensor to pass its bits as another dtype)")


def _buffer(dev, info, v, allow_int, strict):
    name, ty = info["name"], info["type"]
    if v is None or isinstance(v, (bool, float)) or (isinstance(v, int) and not allow_int):
        raise TypeError(f"argument '{name}' ({ty}) expects a tensor or array, got {_type_name(v)}")
    if isinstance(v, int):
        if _C.find_allocation(v) is None:
            raise ValueError(f"argument '{name}': address {v:#x} is not in Vulkan memory")
        return v
    torch_device = getattr(v, "device", None)
    dev_type = getattr(torch_device, "type", None)
    if dev_type is not None and dev_type not in ("cpu", DEVICE_NAME):
        raise VulkanError(
            f"argument '{name}' is a {dev_type} tensor ({torch_device}); a Vulkan kernel takes {DEVICE_NAME} "
            f"tensors (zero copy), CPU tensors (copied in and out) or triton_vulkan.empty/zeros/from_torch tensors")
    size = info["size"]
    item = _itemsize(v)
    if item is not None and size and item != size:
        raise TypeError(f"argument '{name}' has {item}-byte elements ({getattr(v, 'dtype', '?')}), "
                        f"the kernel's {ty} has {size}-byte elements")
    if strict:
        _check_dtype(info, v)
    if _numel(v) == 0:  # no memory to point at: a placeholder the kernel must not touch
        _check_extent(info, 0, 0, 0)
        return empty_buffer_address(dev)
    strides = getattr(v, "strides", None)
    if hasattr(v, "__array_interface__") and strides and any(st < 0 for st in strides):
        raise ValueError(f"argument '{name}': a numpy view with negative strides {strides} cannot be passed "
                         f"(a kernel addresses memory upward from the pointer); pass np.ascontiguousarray() of it")
    if hasattr(v, "data_ptr"):
        ptr = v.data_ptr()
        base = getattr(v, "base", None)  # triton.TensorWrapper (reinterpret) wraps a tensor
        has_storage = base is not None and (hasattr(base, "untyped_storage") or hasattr(base, "storage"))
        holder = base if has_storage else v
        try:
            start, nbytes = storage_span(holder)
        except (AttributeError, RuntimeError, TypeError):
            raise TypeError(f"argument '{name}': cannot find the storage of {_type_name(v)}") from None
        _check_extent(info, ptr, start, nbytes)
        if _C.find_allocation(ptr) is not None:
            return ptr
        if dev_type == DEVICE_NAME:
            raise VulkanError(f"argument '{name}': its {DEVICE_NAME} memory is not a live Vulkan allocation")
        _warn_staging()
        return _Span(ptr, start, nbytes, info["written"])
    if hasattr(v, "__array_interface__"):
        ptr = v.__array_interface__["data"][0]
        if info["written"] and not v.flags.writeable:
            raise ValueError(f"argument '{name}': the kernel writes it but the numpy array is read-only")
        start, nbytes = numpy_span(v)
        _check_extent(info, ptr, start, nbytes)
        return _Span(ptr, start, nbytes, info["written"])
    raise TypeError(f"argument '{name}' ({ty}) expects a tensor or array, got {_type_name(v)}")


def _scalar(info, v):
    if hasattr(v, "item") and getattr(v, "shape", None) == () and not hasattr(v, "data_ptr"):
        v = v.item()  # numpy scalar / 0-d array
    if not isinstance(v, (int, float)):
        raise TypeError(f"argument '{info['name']}' ({info['type']}) expects a Python scalar, got {_type_name(v)}")
    return v


def prepare(dev, reflection, args, allow_int=False, strict=True):
    """(values for Device.launch, staged regions) for `args` in the kernel's parameter order.

    allow_int: raw addresses (ints) are accepted for buffers; strict: dtypes must match exactly."""
    infos = reflection["args"]
    if len(args) != len(infos):
        names = ", ".join(i["name"] for i in infos)
        raise TypeError(f"kernel '{reflection['entry']}' takes {len(infos)} arguments ({names}), got {len(args)}")
    values = []
    for info, v in zip(infos, args):
        if info["kind"] == "buffer":
            values.append(_buffer(dev, info, v, allow_int, strict))
        else:
            values.append(_scalar(info, v))
    return values, _stage_all(dev, values)


def launch(dev, native, reflection, grid, args, allow_int=False, strict=True):
    """Records a launch of `native` (an _C.Kernel); synchronizes only when a staged buffer is written."""
    values, staged = prepare(dev, reflection, args, allow_int, strict)
    dev.launch(native, grid, values)
    if any(s.written for s in staged):
        dev.synchronize()
        for s in staged:
            s.copy_back()


def normalize_grid(grid):
    """A 3-tuple of ints from an int or a 1–3 element sequence."""
    if isinstance(grid, int):
        grid = (grid,)
    g = tuple(operator.index(x) for x in grid)
    if not 1 <= len(g) <= 3:
        raise ValueError(f"grid must have 1 to 3 dimensions, got {len(g)}")
    for axis, n in zip("xyz", g):
        if not 0 <= n <= _MAX_GRID_DIM:
            raise ValueError(f"grid dimension {axis} = {n} is out of range: tt.get_program_id is an i32, "
                             f"so a grid has 0 to {_MAX_GRID_DIM} programs per dimension")
    return g + (1,) * (3 - len(g))


_MAX_GRID_DIM = 2 ** 31 - 1
