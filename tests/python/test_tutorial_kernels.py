"""Kernels written the way Triton's tutorials write them (our own code, small sizes): the
persistent softmax sized by tutorial 02's occupancy formula from get_device_properties and
n_regs, and a grouped matmul with tl.assume autotuned over AMD-style configs (tutorial 03 takes
those on any non-CUDA target), one of which cannot run and must be skipped."""
import triton
import triton.language as tl


@triton.jit
def row_softmax(out_ptr, in_ptr, stride_in, stride_out, rows, cols, BLOCK: tl.constexpr):
    first = tl.program_id(0)
    step = tl.num_programs(0)
    for r in tl.range(first, rows, step):
        offs = tl.arange(0, BLOCK)
        x = tl.load(in_ptr + r * stride_in + offs, mask=offs < cols, other=-float("inf"))
        e = tl.exp(x - tl.max(x, axis=0))
        tl.store(out_ptr + r * stride_out + offs, e / tl.sum(e, axis=0), mask=offs < cols)


def test_persistent_softmax_sized_by_occupancy(tv, torch, triton_vk):
    drv = triton_vk.runtime.driver.active
    props = drv.utils.get_device_properties(drv.get_active_torch_device().index)
    x = torch.randn(37, 100)
    y = torch.empty_like(x)
    num_warps = 4
    k = row_softmax.warmup(y, x, x.stride(0), y.stride(0), 37, 100, BLOCK=128, num_warps=num_warps, grid=(1,))
    k._init_handles()
    occupancy = props["max_num_regs"] // (k.n_regs * props["warpSize"] * num_warps)
    if k.metadata.shared:
        occupancy = min(occupancy, props["max_shared_mem"] // k.metadata.shared)
    programs = min(props["multiprocessor_count"] * occupancy, 37)
    assert programs >= 1
    k[(programs, 1, 1)](y, x, x.stride(0), y.stride(0), 37, 100)
    tv.synchronize()
    assert torch.allclose(y, torch.softmax(x, dim=1), atol=1e-6)


def _amd_style_configs(too_many_warps):
    cfg = [triton.Config({"BM": 16, "BN": 16, "BK": 16, "GROUP": 2, "matrix_instr_nonkdim": 16}, num_warps=2,
                         num_stages=s) for s in (2, 3)]
    cfg.append(triton.Config({"BM": 16, "BN": 16, "BK": 16, "GROUP": 2, "waves_per_eu": 2}, num_warps=too_many_warps))
    return cfg


def test_matmul_with_assume_and_amd_configs(tv, torch, triton_vk):
    t = tv.device().target
    too_many = 2 * t.max_workgroup_invocations // t.subgroup_size

    @triton.autotune(configs=_amd_style_configs(too_many), key=["M", "N", "K"])
    @triton.jit
    def mm(a, b, c, M, N, K, sam, sak, sbk, sbn, scm, scn,
           BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, GROUP: tl.constexpr):
        pid = tl.program_id(0)
        tiles_m = tl.cdiv(M, BM)
        tiles_n = tl.cdiv(N, BN)
        per_group = GROUP * tiles_n
        first_m = (pid // per_group) * GROUP
        rows_in_group = min(tiles_m - first_m, GROUP)
        pm = first_m + (pid % per_group) % rows_in_group
        pn = (pid % per_group) // rows_in_group
        tl.assume(pm >= 0)
        tl.assume(pn >= 0)
        tl.assume(sam > 0)
        rm = pm * BM + tl.arange(0, BM)
        rn = pn * BN + tl.arange(0, BN)
        rk = tl.arange(0, BK)
        acc = tl.zeros((BM, BN), dtype=tl.float32)
        for k0 in range(0, tl.cdiv(K, BK)):
            kk = k0 * BK + rk
            av = tl.load(a + rm[:, None] * sam + kk[None, :] * sak, mask=(rm[:, None] < M) & (kk[None, :] < K), other=0.0)
            bv = tl.load(b + kk[:, None] * sbk + rn[None, :] * sbn, mask=(kk[:, None] < K) & (rn[None, :] < N), other=0.0)
            acc = tl.dot(av, bv, acc, input_precision="ieee")
        tl.store(c + rm[:, None] * scm + rn[None, :] * scn, acc, mask=(rm[:, None] < M) & (rn[None, :] < N))

    M, N, K = 40, 24, 36
    a = torch.randn(M, K)
    b = torch.randn(K, N)
    c = torch.zeros(M, N)
    grid = lambda meta: (triton.cdiv(M, meta["BM"]) * triton.cdiv(N, meta["BN"]),)
    mm[grid](a, b, c, M, N, K, a.stride(0), a.stride(1), b.stride(0), b.stride(1), c.stride(0), c.stride(1))
    tv.synchronize()
    assert torch.allclose(c, a @ b, atol=1e-4)
    assert mm.best_config.num_warps == 2
