"""The benchmarker Triton's autotuner gets from this driver (`driver.get_benchmarker()`).

Configs that differ only in options that do not reach the SPIR-V (`num_stages` from 2 on, the
AMD knobs: compiler.NOT_IN_SPIRV) compile to the same binary. Triton's autotuner would still
time each of them: tutorial 06 has 36 configs and 12 binaries. Here each config's kernel call
runs once while its launches are recorded (binary, grid, argument values: device addresses and
scalars); a call whose launches equal those of a call already timed gets that timing, which
measured the same work. The first call also does what `do_bench`'s own first call does
(compilation), so a config timed anew costs one launch more than before.

Timings are kept for the last `_KEEP` distinct launch records of the process. Where a call
launches nothing, or an argument has no comparable value, it is timed. TVK_AUTOTUNE_DEDUP=0
times every config (as Triton-CUDA does)."""
import hashlib
import os
import threading
from collections import OrderedDict

_KEEP = 256


class _Recorder(threading.local):
    launches = None  # a list while a kernel call is being recorded on this thread


_recorder = _Recorder()
_timings = OrderedDict()
_lock = threading.Lock()


def _binary_of(function):
    """The SPIR-V's digest and the device it runs on."""
    if function.digest is None:
        function.digest = hashlib.sha256(function.spirv).hexdigest()
    return (function.digest, getattr(function.device, "index", id(function.device)))


def _value(arg):
    """A comparable value of a launch argument; for one without, a fresh object, so that the
    record it is in matches no other."""
    if arg is None or isinstance(arg, (bool, int, float, str)):
        return (type(arg).__name__, arg)
    data_ptr = getattr(arg, "data_ptr", None)
    if data_ptr is not None:
        try:
            return ("ptr", data_ptr(), str(getattr(arg, "dtype", "")), getattr(arg, "nbytes", None))
        except Exception:
            return object()
    return object()


def record_launch(function, grid, args):
    """Called by the launcher for every launch; records it while a benchmarked call runs."""
    launches = _recorder.launches
    if launches is not None:
        launches.append((_binary_of(function), tuple(grid), tuple(_value(a) for a in args)))


def _recorded(kernel_call):
    _recorder.launches = []
    try:
        kernel_call()
        return tuple(_recorder.launches)
    finally:
        _recorder.launches = None


def enabled():
    return os.environ.get("TVK_AUTOTUNE_DEDUP", "1") not in ("", "0")


def do_bench(kernel_call, quantiles=None, **kwargs):
    """triton.testing.do_bench, with one timing per distinct launch record (module docstring)."""
    from triton.testing import do_bench as triton_do_bench
    if not enabled():
        return triton_do_bench(kernel_call, quantiles=quantiles, **kwargs)
    launches = _recorded(kernel_call)
    try:
        key = (launches, None if quantiles is None else tuple(quantiles), tuple(sorted(kwargs.items())))
        hash(key)
    except TypeError:  # an unhashable option
        key = None
    if not launches or key is None:
        return triton_do_bench(kernel_call, quantiles=quantiles, **kwargs)
    copy = lambda r: list(r) if isinstance(r, list) else r  # callers may change the list
    with _lock:
        if key in _timings:
            _timings.move_to_end(key)
            return copy(_timings[key])
    result = triton_do_bench(kernel_call, quantiles=quantiles, **kwargs)
    with _lock:
        _timings[key] = copy(result)
        while len(_timings) > _KEEP:
            _timings.popitem(last=False)
    return result
