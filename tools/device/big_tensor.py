"""A kernel reading one tensor larger than a storage-buffer binding can address (4 GiB on NVIDIA's
Vulkan driver, 128 MiB on lavapipe), on our backend, checked against Triton's CUDA backend when
CUDA is present (else against torch on the CPU).

    python3 tools/device/big_tensor.py --gib 6      # the device machine (H200)
    python3 tools/device/big_tensor.py --gib 0.5    # lavapipe

The kernel sums BLOCK fp16 elements per program into an f32 partial sum, with 64-bit offsets, and
writes the last element of each block to a second output (so a wrong address shows as a wrong
copy, not just a different rounding of a sum).
"""
import argparse
import sys
import time

import torch
import triton
import triton.language as tl

import triton_vulkan as tv


@triton.jit
def block_sums(x_ptr, sums_ptr, last_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0).to(tl.int64)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
    tl.store(sums_ptr + pid, tl.sum(x.to(tl.float32), 0))
    tl.store(last_ptr + pid, tl.load(x_ptr + tl.minimum(pid * BLOCK + BLOCK - 1, n - 1)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gib", type=float, default=6.0)
    ap.add_argument("--block", type=int, default=4096)
    a = ap.parse_args()
    n = int(a.gib * (1 << 30)) // 2 + 7  # fp16 elements; not a multiple of the block
    nb = triton.cdiv(n, a.block)
    have_cuda = torch.cuda.is_available()
    from triton.runtime import driver as triton_driver
    cuda_driver = triton_driver.default if have_cuda else None
    vk = tv.activate()
    print(f"Vulkan: {tv.device().info['name']}; tensor: {n} fp16 = {2 * n / (1 << 30):.2f} GiB; {nb} programs", flush=True)
    g = torch.Generator().manual_seed(0)
    # Values with few significant bits, so that f32 sums of a block are exact on both sides.
    xc = (torch.randint(-64, 64, (n,), generator=g, dtype=torch.int16).to(torch.float16) / 16)
    if have_cuda:
        triton_driver.set_active(cuda_driver)
        xd = xc.cuda()
        s, l = torch.empty(nb, device="cuda"), torch.empty(nb, device="cuda", dtype=torch.float16)
        block_sums[(nb,)](xd, s, l, n, BLOCK=a.block)
        torch.cuda.synchronize()
        ref_s, ref_l = s.cpu(), l.cpu()
        del xd, s, l
        torch.cuda.empty_cache()
        ref_name = "Triton's CUDA backend"
    else:
        pad = torch.zeros(nb * a.block - n, dtype=torch.float16)
        ref_s = torch.cat([xc, pad]).view(nb, a.block).float().sum(1)
        idx = torch.clamp(torch.arange(nb) * a.block + a.block - 1, max=n - 1)
        ref_l = xc[idx]
        ref_name = "torch on the CPU"
    triton_driver.set_active(vk)
    t0 = time.perf_counter()
    xv = tv.from_torch(xc)
    del xc
    sv, lv = tv.empty(nb), tv.empty(nb, dtype=torch.float16)
    t1 = time.perf_counter()
    block_sums[(nb,)](xv, sv, lv, n, BLOCK=a.block)
    tv.synchronize()
    t2 = time.perf_counter()
    ok_s = torch.equal(sv.clone(), ref_s)
    ok_l = torch.equal(lv.clone(), ref_l)
    print(f"staging {t1 - t0:.1f} s, kernel (first launch, with compile) {t2 - t1:.2f} s")
    print(f"block sums {'match' if ok_s else 'DIFFER FROM'} {ref_name}; last elements {'match' if ok_l else 'DIFFER'}")
    return 0 if ok_s and ok_l else 1


if __name__ == "__main__":
    sys.exit(main())
