"""@triton.autotune through the Vulkan driver's benchmarker (do_bench on GPU timestamps)."""
import triton
import triton.language as tl


@triton.autotune(configs=[triton.Config({"BLOCK": 128}, num_warps=1), triton.Config({"BLOCK": 512}, num_warps=4)],
                 key=["n"])
@triton.jit
def scale_kernel(x_ptr, y_ptr, n, s, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=m) * s, mask=m)


def test_autotune(tv, torch, triton_vk):
    n = 3000
    x = tv.from_torch(torch.arange(n, dtype=torch.float32))
    y = tv.zeros(n)
    scale_kernel[lambda meta: (triton.cdiv(n, meta["BLOCK"]),)](x, y, n, 0.5)
    tv.synchronize()
    assert torch.equal(y, torch.arange(n, dtype=torch.float32) * 0.5)
    best = scale_kernel.best_config
    assert best.kwargs["BLOCK"] in (128, 512) and len(scale_kernel.cache) == 1


def _stages_kernel():
    # A fresh autotuner per test (its cache of best configs is per key).
    configs = [triton.Config({"BLOCK": 256}, num_warps=2, num_stages=s) for s in (2, 3, 4)]
    configs.append(triton.Config({"BLOCK": 512}, num_warps=4, num_stages=3))

    @triton.autotune(configs=configs, key=["n"])
    @triton.jit
    def add_one(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
        offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        m = offs < n
        tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=m) + 1.0, mask=m)
    return add_one


def _count_benchmarks(monkeypatch):
    import triton.testing
    calls = []
    real = triton.testing.do_bench

    def counting(fn, *args, **kwargs):
        calls.append(fn)
        return real(fn, *args, **kwargs)
    monkeypatch.setattr(triton.testing, "do_bench", counting)
    return calls


def _run(tv, torch, kernel, n):
    x = tv.from_torch(torch.arange(n, dtype=torch.float32))
    y = tv.zeros(n)
    kernel[lambda meta: (triton.cdiv(n, meta["BLOCK"]),)](x, y, n)
    tv.synchronize()
    assert torch.equal(y, torch.arange(n, dtype=torch.float32) + 1)


def test_autotune_times_each_binary_once(tv, torch, triton_vk, monkeypatch):
    """num_stages 2, 3 and 4 compile to one binary: it is timed once, the 512 config once."""
    monkeypatch.delenv("TVK_AUTOTUNE_DEDUP", raising=False)
    calls = _count_benchmarks(monkeypatch)
    kernel = _stages_kernel()
    _run(tv, torch, kernel, 3000)
    assert len(calls) == 2
    assert len(kernel.configs_timings) == 4  # every config still has a timing
    timings = [kernel.configs_timings[c] for c in kernel.configs[:3]]
    assert timings[0] == timings[1] == timings[2]
    # Another n is another autotune key and other launch arguments: timed anew.
    _run(tv, torch, kernel, 5000)
    assert len(calls) == 4


def test_autotune_dedup_off_times_every_config(tv, torch, triton_vk, monkeypatch):
    monkeypatch.setenv("TVK_AUTOTUNE_DEDUP", "0")
    calls = _count_benchmarks(monkeypatch)
    _run(tv, torch, _stages_kernel(), 3000)
    assert len(calls) == 4
