"""A multi-threaded stress of the runtime through the Python API: threads launching kernels,
allocating, freeing, synchronizing and timing on one device, on a second logical device of the
same physical device, and on every further physical device; every result is checked.

Used by test_stress_threads.py (short, part of `make test`) and tools/stress/run_stress.py
(many runs in fresh processes)."""
import threading

import numpy as np

import tvk_testlib


def stress_devices(tv):
    """The default device, a second logical device on it, and every other physical device."""
    devs = [tv.device(), tv.new_device()]
    for info in tv.devices():
        if info["index"] != devs[0].index:
            devs.append(tv.device(info["index"]))
    return devs


def _worker(tv, torch, dev, spirv_add, ttir_add, seed, rounds, errors, start):
    try:
        rng = np.random.default_rng(seed)
        start.wait()
        add = tv.Kernel(spirv_add, tvk_testlib.ADD_REFLECTION, dev)  # concurrent pipeline-cache use
        for r in range(rounds):
            n = int(rng.integers(1, 40000))
            x = tv.from_torch(torch.arange(n, dtype=torch.float32) + seed, device=dev)
            y = tv.empty(n, device=dev)
            y.fill_(float(r))
            k = ttir_add if (r % 2 and ttir_add is not None) else add
            mode = r % 4
            if mode == 1:  # staged: a CPU output is copied back (the launch synchronizes)
                out = torch.full((n,), -1.0)
                k[((n + 1023) // 1024,)](x, y, out, n)
            else:
                out = tv.empty(n, device=dev)
                out.fill_(-1.0)
                if mode == 2:
                    e0 = dev.record_event()
                k[((n + 1023) // 1024,)](x, y, out, n)
                if mode == 2:
                    e1 = dev.record_event()
                    ms = dev.elapsed_ms(e0, e1)  # synchronizes
                    if not ms >= 0:
                        errors.append(f"thread {seed}: elapsed_ms {ms}")
                else:
                    dev.synchronize()
            if not torch.equal(out, x + y):
                bad = int((out != x + y).sum())
                errors.append(f"thread {seed} round {r} on device {dev.index}: {bad} of {n} wrong")
            if r % 3 == 0:  # a larger buffer freed while other threads' work may be pending
                tmp = tv.empty(int(rng.integers(1 << 18, 1 << 22)), dtype=torch.uint8, device=dev)
                tmp[:16] = 1
                del tmp
            del x, y, out
    except BaseException as e:  # noqa: BLE001 - reported by the caller
        errors.append(f"thread {seed} on device {dev.index}: {type(e).__name__}: {e}")


def run(tv, torch, tmpdir, threads=6, rounds=30, ttir=None):
    """Runs `threads` threads for `rounds` rounds each, spread over stress_devices(); returns the
    list of errors (empty when every result was right)."""
    devs = stress_devices(tv)
    spirv_add = tvk_testlib.compile_glsl(tvk_testlib.ADD_GLSL, tmpdir, "stress_add")
    ttir_adds = {d.handle: (tv.compile(ttir, num_warps=4, device=d) if ttir else None) for d in devs}
    errors = []
    start = threading.Barrier(threads)
    workers = []
    for t in range(threads):
        dev = devs[t % len(devs)]
        workers.append(threading.Thread(target=_worker, args=(tv, torch, dev, spirv_add, ttir_adds[dev.handle],
                                                              1000 + t, rounds, errors, start)))
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for d in devs:
        d.synchronize()
    return errors
