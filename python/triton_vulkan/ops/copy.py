"""aten::copy_ between two tensors of one tvk device as a Triton kernel, so that device-to-device
copies (clone, contiguous, out= results, Inductor's buffer copies) stay on the GPU. Until this,
every copy_ went through the extension's _copy_from, which waits for the device and copies
through host mappings: on a discrete GPU the host reads device memory over PCIe (16 MB took
about 20 ms on the H200, most of a compiled MLP's time).

Covered: any strides and broadcasting of the source (up to 4 dimensions after merging), the same
dtype (copied bit for bit, as integers of its width) and conversions among float16, bfloat16
and float32 (rounded to nearest even, as ATen does). A source that overlaps the destination is
copied from a snapshot of itself. Everything else (other devices, other conversions) keeps the
extension's _copy_from."""
import triton
import triton.language as tl

from .common import floats, kernels_usable, run_kernel
from .pointwise import MAX_RANK, extent, merge_dims, no_overlap, strided_offsets

BLOCK = 1024


@triton.jit
def _copy_kernel(src_ptr, dst_ptr, n, d1, d2, d3, ss0, ss1, ss2, ss3, sd0, sd1, sd2, sd3,
                 CONTIG: tl.constexpr, WIDE: tl.constexpr, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    if WIDE:
        pid = pid.to(tl.int64)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    if CONTIG:
        i_src = offs
        i_dst = offs
    else:
        i_src = strided_offsets(offs, d1, d2, d3, ss0, ss1, ss2, ss3)
        i_dst = strided_offsets(offs, d1, d2, d3, sd0, sd1, sd2, sd3)
    x = tl.load(src_ptr + i_src, mask=mask)
    tl.store(dst_ptr + i_dst, x.to(dst_ptr.dtype.element_ty), mask=mask)


def _bit_dtype(torch, dtype):
    """The integer dtype a same-dtype copy moves dtype's bits as (None: not covered)."""
    if dtype.is_complex:
        return None
    return {1: torch.int8, 2: torch.int16, 4: torch.int32, 8: torch.int64}.get(dtype.itemsize)


def device_copy(torch, dst, src):
    """dst.copy_(src) by a kernel when both are on one tvk device and the kernel covers the
    dtypes; False when the caller must take the extension's path."""
    if not (isinstance(src, torch.Tensor) and src.device == dst.device and kernels_usable()):
        return False
    try:
        src = src.expand(dst.shape)
    except RuntimeError:
        return False  # not broadcastable: ATen's path says so
    if not no_overlap(src, dst):
        src = src.clone()  # a snapshot: the kernel would race (ATen refuses a partial overlap)
    if src.dtype == dst.dtype:
        bits = _bit_dtype(torch, dst.dtype)
        if bits is None:
            return False
        s, d = (src, dst) if bits == dst.dtype else (src.view(bits), dst.view(bits))
    elif src.dtype in floats(torch) and dst.dtype in floats(torch):
        s, d = src, dst
    else:
        return False
    n = d.numel()
    if n == 0:
        return True
    shape, (sd, ss) = merge_dims(list(d.shape), list(d.stride()), list(s.stride()))
    if len(shape) > MAX_RANK:
        return False
    contig = len(shape) == 1 and sd == [1] and ss == [1]
    pad = MAX_RANK - len(shape)
    shape = [1] * pad + shape
    sd, ss = [0] * pad + sd, [0] * pad + ss
    wide = n + BLOCK >= 2**31 or extent(shape, sd) >= 2**31 or extent(shape, ss) >= 2**31
    return run_kernel("copy_", lambda: _copy_kernel[(triton.cdiv(n, BLOCK),)](
        s, d, n, shape[1], shape[2], shape[3], *ss, *sd,
        CONTIG=contig, WIDE=wide, BLOCK=BLOCK, num_warps=4))


def host_copy(torch, dst, src, non_blocking=False):
    """The extension's copy (through host mappings): other devices and what the kernel does not
    cover."""
    return torch.ops.aten._copy_from(src, dst, non_blocking)


def register(torch):
    """Registers copy_ for the PrivateUse1 dispatch key (the tvk device)."""
    lib = torch.library.Library("aten", "IMPL")

    def copy_(dst, src, non_blocking=False):
        # ATen's copy_ returns at once for the very same view, and otherwise hands a copy that
        # involves an out-of-tree device to _copy_from.
        same = (src.data_ptr() == dst.data_ptr() and src.dtype == dst.dtype and src.shape == dst.shape
                and src.stride() == dst.stride() and src.device == dst.device)
        if same or device_copy(torch, dst, src):
            return dst
        return host_copy(torch, dst, src, non_blocking)

    lib.impl("copy_", copy_, "PrivateUse1")
    return lib
