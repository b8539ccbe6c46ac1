"""The tvk device's memory is reused in stream order (runtime.h, Reuse::StreamOrdered), as CUDA's
caching allocator does: a tensor freed while launches that use it are still pending gives its
memory to the next allocation of its size at once. Later GPU work runs after those launches (a
barrier separates every dispatch) and the host touches device memory only after synchronizing,
so results stay right; and a loop that allocates its output every call (tutorial 06, do_bench)
does not get new Vulkan memory every call."""
import triton
import triton.language as tl


@triton.jit
def _scale(x_ptr, y_ptr, n, s, BLOCK: tl.constexpr):
    o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(y_ptr + o, tl.load(x_ptr + o, mask=o < n) * s, mask=o < n)


def _launch(x, y, s):
    n = x.numel()
    _scale[(triton.cdiv(n, 1024),)](x, y, n, s, BLOCK=1024)


def test_memory_of_a_pending_input_is_reused_after_its_launch(torch, dev, tv):
    n = 1 << 20
    src = torch.randn(n)
    a = src.to(dev)
    tv.device().synchronize()
    b = torch.empty(n, device=dev)
    _launch(a, b, 2.0)            # recorded, not yet run: reads a
    ptr = a.data_ptr()
    del a                         # freed while the launch is pending
    c = torch.empty(n, device=dev)
    assert c.data_ptr() == ptr    # the same memory, at once
    _launch(b, c, 0.0)            # writes c (a's memory) after the first launch read it
    d = torch.empty(n, device=dev)
    _launch(b, d, 0.5)
    assert torch.equal(b.cpu(), src * 2.0)
    assert torch.equal(c.cpu(), torch.zeros(n))
    assert torch.equal(d.cpu(), src)


def test_host_writes_to_reused_memory_wait_for_the_pending_launch(torch, dev, tv):
    n = 1 << 20
    src = torch.randn(n)
    a = src.to(dev)
    b = torch.empty(n, device=dev)
    _launch(a, b, 3.0)
    del a
    c = torch.empty(n, device=dev)   # a's memory: copy_ from the host must wait for the launch
    c.copy_(torch.full((n,), 7.0))
    assert torch.equal(b.cpu(), src * 3.0)
    assert torch.equal(c.cpu(), torch.full((n,), 7.0))


def test_an_output_allocated_every_call_does_not_grow_memory(torch, dev, tv):
    n = 1 << 22  # 16 MiB per output
    x = torch.randn(n, device=dev)
    device = tv.device()
    device.synchronize()
    outs = []
    before = 0
    for i in range(40):  # no synchronize: every launch stays pending
        y = torch.empty(n, device=dev)
        _launch(x, y, float(i))
        if i % 10 == 0:
            outs.append((i, y))  # a few kept: their memory must not be reused
        if i == 5:
            before = device.allocated_bytes
    grown = device.allocated_bytes - before
    assert grown <= 4 * 4 * n + (8 << 20), grown  # the kept outputs, not one per call
    for i, y in outs:
        assert torch.equal(y.cpu(), x.cpu() * float(i))
