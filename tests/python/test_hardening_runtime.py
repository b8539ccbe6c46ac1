"""Bad inputs and bad situations of the runtime: each gets a clear Python exception (or a
clean timeout / Ctrl-C) and a normal launch works afterwards. Situations that leave a lost
device or a spinning kernel behind run in a child process."""
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np
import pytest

import tvk_testlib

MiB = 1 << 20


def run_child(code, env=None, timeout=120):
    """Runs `code` in a fresh Python with the repository's package; returns (rc, stdout+stderr)."""
    prelude = textwrap.dedent(f"""
        import os, sys, time, threading, signal, pathlib, tempfile
        sys.path[:0] = [{str(tvk_testlib.ROOT / 'python')!r}, {str(tvk_testlib.HERE)!r}]
        import numpy as np
        import triton_vulkan as tv
        import tvk_testlib
        TMP = pathlib.Path(tempfile.mkdtemp())
        def done():  # leaves at once: a lost device's work may still run in lavapipe's threads
            sys.stdout.flush(); sys.stderr.flush(); os._exit(0)
    """)
    full_env = dict(os.environ, **(env or {}))
    p = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True,
                       env=full_env, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def check_add(tv, torch, add, n=3000, device=None):
    """A normal launch on the current (or given) device gives right results."""
    x = tv.from_torch(torch.arange(n, dtype=torch.float32), device=device)
    y = tv.from_torch(torch.ones(n), device=device)
    out = tv.zeros(n, device=device)
    add[((n + 1023) // 1024,)](x, y, out, n)
    tv.synchronize(device)
    assert torch.equal(out, torch.arange(n, dtype=torch.float32) + 1)


# --- environment variables -------------------------------------------------------------------

@pytest.mark.parametrize("name,value,message", [
    ("TVK_DEVICE", "99999999999", "TVK_DEVICE=99999999999: integer 99999999999 is out of range [0, 2147483647]"),
    ("TVK_DEVICE", "7", "TVK_DEVICE=7: no device with that index"),
    ("TVK_TIMEOUT", "soon", "TVK_TIMEOUT=soon: not a number"),
    ("TVK_TIMEOUT", "-1", "TVK_TIMEOUT=-1: number -1 is out of range [0, "),
    ("TVK_CACHE_LIMIT", "-5", "TVK_CACHE_LIMIT=-5: integer -5 is out of range [0, "),
    ("TVK_CACHE_LIMIT", "12MB", "TVK_CACHE_LIMIT=12MB: not an integer"),
])
def test_malformed_environment_is_a_clear_error(name, value, message):
    rc, out = run_child("""
        assert tv.devices()  # listing works whatever the variables say
        try:
            tv.device()
            print("OPENED")
        except tv.VulkanError as e:
            print("ERROR", e)
    """, env={name: value})
    assert rc == 0, out
    assert "ERROR" in out and message in out, out


def test_environment_settings_apply():
    rc, out = run_child("""
        d = tv.device()
        print("limit", d.cache_limit, "timeout", d.timeout, d.memory_stats()["cache_limit"])
    """, env={"TVK_CACHE_LIMIT": str(96 * MiB), "TVK_TIMEOUT": "2.5"})
    assert rc == 0, out
    assert f"limit {96 * MiB} timeout 2.5 {96 * MiB}" in out, out


def test_pipeline_dump_writes_each_pipelines_cache_data():
    """TVK_PIPELINE_DUMP=DIR: each pipeline is created with a cache of its own whose data (the
    driver's binary, where it caches one: tools/device/pipeline_sass.py reads NVIDIA's) goes to
    DIR/<entry>-<hash>.cache; a launch through it still computes."""
    rc, out = run_child("""
        import torch
        dump = pathlib.Path(os.environ["TVK_PIPELINE_DUMP"])
        dev = tv.device()
        add = tvk_testlib.add_kernel(tv, dev, TMP)
        x = tv.from_torch(torch.arange(64, dtype=torch.float32)); out = tv.zeros(64)
        add[(1,)](x, x, out, 64)
        tv.synchronize()
        print("sum", float(out.sum()))
        print("files", sorted((p.suffix, p.stat().st_size > 0) for p in dump.iterdir()))
        done()
    """, env={"TVK_PIPELINE_DUMP": tempfile.mkdtemp()})
    assert rc == 0, out
    assert f"sum {2 * sum(range(64))}.0" in out, out
    assert "('.cache', True)" in out, out


# --- sizes and grids -------------------------------------------------------------------------

def test_impossible_sizes_raise_quickly(tv, torch, glsl_add):
    start = time.monotonic()
    with pytest.raises(tv.VulkanError, match="more than any device can hold"):
        tv.empty(2 ** 61)  # 2^63 bytes of float32
    with pytest.raises(tv.VulkanError, match="largest allocation"):
        tv.empty(2 ** 40)  # 4 TiB
    with pytest.raises(tv.VulkanError, match="largest allocation"):
        tv.empty(2 ** 59, dtype=torch.int8)
    with pytest.raises(ValueError, match="negative dimension"):
        tv.empty(3, -1)
    with pytest.raises(ValueError, match="negative size"):
        tv.device().allocate(-5)
    assert time.monotonic() - start < 5
    check_add(tv, torch, glsl_add)


def test_grid_beyond_program_id_range_is_refused(tv, torch, glsl_add):
    a = tv.zeros(4)
    for grid in [(2 ** 32 - 1, 2 ** 32 - 1), (2 ** 31,), (1, 1, 2 ** 40), (-1,)]:
        with pytest.raises(ValueError, match="out of range: tt.get_program_id is an i32"):
            glsl_add[grid](a, a, a, 4)
    with pytest.raises(ValueError, match="grid dimension y = 4294967296 is out of range"):
        tv.device().launch(glsl_add._native, (1, 2 ** 32, 1), [a.data_ptr()] * 3 + [4])
    with pytest.raises(TypeError):
        glsl_add[(2.5,)](a, a, a, 4)
    check_add(tv, torch, glsl_add)


def test_huge_grid_is_split_lazily():
    """(2^31-1)^2 programs are ~1e9 dispatches on lavapipe: they are recorded a batch at a time
    (memory stays small), and the launch stops with the timeout instead of exhausting memory.
    The abandoned work keeps lavapipe's threads busy, so no launch follows here (a normal launch
    after a bad grid is checked by test_grid_beyond_program_id_range_is_refused)."""
    rc, out = run_child("""
        import resource
        dev = tv.device()
        add = tvk_testlib.add_kernel(tv, dev, TMP)
        a = tv.zeros(4)
        t = time.monotonic()
        try:
            add[(2 ** 31 - 1, 2 ** 31 - 1)](a, a, a, 0)
            tv.synchronize()
            print("FINISHED?")
        except tv.DeviceLostError as e:
            print("LOST after", round(time.monotonic() - t, 1), e)
        print("maxrss_mib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
        done()
    """, env={"TVK_TIMEOUT": "1"})
    assert rc == 0, out
    import re
    m = re.search(r"stopped after recording (\d+) of (\d+) dispatches", out)
    assert m and int(m.group(1)) < 100000 < int(m.group(2)), out
    assert "timed out after 1 s" in out, out
    assert float(out.split("LOST after")[1].split()[0]) < 20, out
    rss = int(out.split("maxrss_mib")[1].split()[0])
    assert rss < 2048, out


# --- arguments -------------------------------------------------------------------------------

def test_zero_element_tensors_launch(tv, torch, glsl_add):
    for make in (lambda: tv.empty(0), lambda: tv.zeros(2, 0), lambda: torch.empty(0),
                 lambda: np.zeros(0, np.float32)):
        z = make()
        glsl_add[(1,)](z, z, z, 0)
        glsl_add[(3,)](z, z, z, 0)
        tv.synchronize()
    k = tv.compile((tvk_testlib.ROOT / "tests/conformance/cases/add_f32/kernel.ttir").read_text())
    z = tv.empty(0)
    k[(1,)](z, z, z, 0)
    k[(1,)](torch.empty(0), np.zeros(0, np.float32), z, 0)
    tv.synchronize()
    # A kernel that certainly accesses its buffers refuses an empty one.
    dot = tv.compile((tvk_testlib.ROOT / "tests/conformance/cases/dot_i8/kernel.ttir").read_text())
    with pytest.raises(ValueError, match="'a_ptr' is too small"):
        dot[(1,)](tv.empty(0, dtype=torch.int8), tv.zeros(2048, dtype=torch.int8), tv.zeros(1024, dtype=torch.int32))
    check_add(tv, torch, glsl_add)


def test_plain_api_checks_dtypes_exactly(tv, torch, glsl_add):
    k = tv.compile((tvk_testlib.ROOT / "tests/conformance/cases/add_f32/kernel.ttir").read_text())
    f, i = tv.zeros(64), tv.zeros(64, dtype=torch.int32)
    for kern in (k, glsl_add):
        with pytest.raises(TypeError, match=r"argument 'x_ptr' is int32, the kernel's !tt.ptr<f32> takes float32"):
            kern[(1,)](i, f, f, 64)
        with pytest.raises(TypeError, match=r"argument 'out_ptr' is int32"):
            kern[(1,)](f, f, np.zeros(64, np.int32), 64)
        with pytest.raises(TypeError, match=r"argument 'y_ptr' is uint32"):
            kern[(1,)](f, torch.zeros(64).numpy().view(np.uint32), f, 64)
        with pytest.raises(TypeError, match="has 8-byte elements"):
            kern[(1,)](f, f, tv.zeros(64, dtype=torch.float64), 64)
    # Signless integers accept either signedness; the bits of a tensor pass with .view().
    dot = tv.compile((tvk_testlib.ROOT / "tests/conformance/cases/dot_i8/kernel.ttir").read_text())
    c = tv.zeros(1024, dtype=torch.int32)
    dot[(1,)](tv.zeros(2048, dtype=torch.uint8), np.zeros(2048, np.int8), c)
    k[(1,)](i.view(torch.float32), f, f, 64)
    tv.synchronize()
    check_add(tv, torch, glsl_add)


def test_numpy_views_with_negative_strides_are_refused(tv, torch, glsl_add):
    x = np.arange(2048, dtype=np.float32)
    out = np.zeros(1024, np.float32)
    with pytest.raises(ValueError, match=r"argument 'x_ptr': a numpy view with negative strides \(-4,\)"):
        glsl_add[(1,)](x[::-1], x, out, 1024)
    with pytest.raises(ValueError, match="negative strides"):
        glsl_add[(1,)](x, x, out[::-1], 1024)
    r = np.ascontiguousarray(x[1024:][::-1])
    glsl_add[(1,)](r, x, out, 1024)
    assert np.array_equal(out, x[1024:][::-1] + x[:1024])
    # Positive-stride views are staged with the array they view (the kernel sees its layout).
    glsl_add[(1,)](x[::2][:512], x[:512], out, 512)
    assert np.array_equal(out[:512], x[:1024][:512] + x[:512])
    check_add(tv, torch, glsl_add)


# --- memory ----------------------------------------------------------------------------------

def test_cache_limit_bounds_held_memory(tv, torch, glsl_add):
    """The stress case of the issue, scaled down: large tensors of many sizes, each freed before
    the next; memory held stays within the cache limit plus what is in use."""
    dev = tv.new_device()  # its own allocator
    dev.cache_limit = 64 * MiB
    assert tv.memory_stats(dev)["cache_limit"] == 64 * MiB
    for step in range(12):
        t = tv.empty((40 + 7 * step) * MiB // 4, device=dev)
        t[-1] = 1.0
        in_use = tv.memory_stats(dev)["in_use_bytes"]
        del t
        s = tv.memory_stats(dev)
        assert s["cached_bytes"] <= 64 * MiB, s
        assert s["allocated_bytes"] <= 64 * MiB + 32 * MiB, (step, in_use, s)
    assert tv.memory_stats(dev)["returned_bytes"] > 0
    tv.empty_cache(dev)
    assert tv.memory_stats(dev)["allocated_bytes"] <= 32 * MiB
    n = 5000
    x = tv.from_torch(torch.arange(n, dtype=torch.float32), device=dev)
    out = tv.zeros(n, device=dev)
    add = tv.Kernel(glsl_add.spirv, glsl_add.reflection, dev)
    add[(5,)](x, x, out, n)
    tv.synchronize(dev)
    assert torch.equal(out, 2 * torch.arange(n, dtype=torch.float32))
    # The default limit is a fraction of the heap, not unbounded.
    assert 0 < tv.device().cache_limit < 2 ** 62


# --- hangs: timeout, device lost, Ctrl-C ----------------------------------------------------

def test_timeout_marks_device_lost_and_next_call_reopens():
    rc, out = run_child("""
        import torch
        dev = tv.device()
        spin = tvk_testlib.spin_kernel(tv, dev, TMP)
        add = tvk_testlib.add_kernel(tv, dev, TMP)
        flag, res = tv.zeros(1, dtype=torch.int32), tv.zeros(2, dtype=torch.int32)
        spin[(50000,)](flag, res, 65000)  # hours of work unless released
        t = time.monotonic()
        try:
            tv.synchronize()
            print("NO TIMEOUT")
        except tv.DeviceLostError as e:
            print("LOST after", round(time.monotonic() - t, 1), "s:", e)
        flag.fill_(1)  # the old device's kernel ends
        print("lost_reason:", dev.lost_reason)
        n = 3000
        x = tv.from_torch(torch.arange(n, dtype=torch.float32)); out = tv.zeros(n)
        add[(3,)](x, x, out, n)  # re-opens the device
        tv.synchronize()
        print("generation", dev.generation, "lost_reason", repr(dev.lost_reason))
        print("after", bool(torch.equal(out, 2 * torch.arange(n, dtype=torch.float32))))
        try:
            add[(1,)](flag.float(), x, res.view(torch.float32), 1)
        except ValueError as e:
            print("OLD", e)
        done()
    """, env={"TVK_TIMEOUT": "1"})
    assert rc == 0, out
    assert "LOST after" in out and "timed out after 1 s waiting for the GPU" in out, out
    lost_after = float(out.split("LOST after")[1].split()[0])
    assert lost_after < 10, out
    assert "the next call re-opens the device" in out, out
    assert "generation 1 lost_reason ''" in out and "after True" in out, out
    assert "was allocated before Vulkan device 0 was lost and re-opened" in out, out


def test_other_threads_learn_their_work_was_abandoned():
    """A thread whose launches were pending when another thread's wait timed out is told so by
    its next synchronize, even after the device was re-opened."""
    rc, out = run_child("""
        import torch
        dev = tv.device()
        spin = tvk_testlib.spin_kernel(tv, dev, TMP)
        flag, res = tv.zeros(1, dtype=torch.int32), tv.zeros(2, dtype=torch.int32)
        ready, go = threading.Event(), threading.Event()
        def other():
            spin[(50000,)](flag, res, 65000)
            ready.set(); go.wait()
            try:
                tv.synchronize(); print("OTHER OK?")
            except tv.DeviceLostError as e:
                print("OTHER LOST", e)
        th = threading.Thread(target=other); th.start()
        ready.wait()
        try:
            tv.synchronize()
        except tv.DeviceLostError as e:
            print("MAIN LOST")
        flag.fill_(1)
        tv.synchronize()  # re-opens; this thread was told already
        print("MAIN OK", dev.generation)
        go.set(); th.join()
        done()
    """, env={"TVK_TIMEOUT": "1"})
    assert rc == 0, out
    assert "MAIN LOST" in out and "MAIN OK 1" in out, out
    assert "OTHER LOST" in out and "work was abandoned" in out, out


def test_ctrl_c_interrupts_synchronize():
    rc, out = run_child("""
        import torch
        dev = tv.device()
        spin = tvk_testlib.spin_kernel(tv, dev, TMP)
        add = tvk_testlib.add_kernel(tv, dev, TMP)
        flag, res = tv.zeros(1, dtype=torch.int32), tv.zeros(2, dtype=torch.int32)
        spin[(50000,)](flag, res, 65000)
        # Python keeps SIGINT ignored when it starts ignored (a background job of a
        # non-interactive shell): make Ctrl-C raise KeyboardInterrupt whatever the parent did.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        t = time.monotonic()
        try:
            tv.synchronize()
            print("NOT INTERRUPTED")
        except KeyboardInterrupt:
            print("INTERRUPTED after", round(time.monotonic() - t, 1))
        print("lost", repr(dev.lost_reason))
        flag.fill_(1)
        tv.synchronize()  # the pending work finishes now
        print("ran", int(res[0]) > 0)
        n = 3000
        x = tv.from_torch(torch.arange(n, dtype=torch.float32)); out = tv.zeros(n)
        add[(3,)](x, x, out, n)
        tv.synchronize()
        print("after", bool(torch.equal(out, 2 * torch.arange(n, dtype=torch.float32))), dev.generation)
        done()
    """)
    assert rc == 0, out
    assert "INTERRUPTED after" in out, out
    assert float(out.split("INTERRUPTED after")[1].split()[0]) < 5, out
    assert "lost ''" in out and "ran True" in out and "after True 0" in out, out
