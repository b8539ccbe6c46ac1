"""Elementwise ATen ops on the tvk device as one Triton kernel: add/sub (with alpha), mul, div,
their in-place forms, exp, log, sqrt, rsqrt, neg, abs, sigmoid, relu, gelu, comparisons (bool
results), where, masked_fill_, and fill_/zero_, over float16,
bfloat16 and float32 (computed in float32), any strides and broadcasting (up to 4 dimensions
after merging the ones that are contiguous together), and CPU 0-dim tensors (Python numbers)
as scalars. Other dtypes, ranks and mixes keep ATen's semantics through the CPU."""
import struct

import triton
import triton.language as tl

from .common import device_of, floats, kernels_usable, on_cpu, run_kernel

MAX_RANK = 4
BLOCK = 1024


@triton.jit
def strided_offsets(offs, d1, d2, d3, s0, s1, s2, s3):
    """Element offsets, under strides s0..s3, of the row-major linear indices `offs` of a
    [d0, d1, d2, d3] shape."""
    i3 = offs % d3
    t = offs // d3
    i2 = t % d2
    t = t // d2
    i1 = t % d1
    i0 = t // d1
    return i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3


@triton.jit
def _pointwise_kernel(a_ptr, b_ptr, c_ptr, out_ptr, n, d1, d2, d3,
                      sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3, sc0, sc1, sc2, sc3, a_val, b_val,
                      OP: tl.constexpr, A_PTR: tl.constexpr, B_PTR: tl.constexpr, C_PTR: tl.constexpr,
                      CONTIG: tl.constexpr, WIDE: tl.constexpr, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    if WIDE:
        pid = pid.to(tl.int64)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    if CONTIG:
        ia = offs
        ib = offs
        ic = offs
    else:
        ia = strided_offsets(offs, d1, d2, d3, sa0, sa1, sa2, sa3)
        ib = strided_offsets(offs, d1, d2, d3, sb0, sb1, sb2, sb3)
        ic = strided_offsets(offs, d1, d2, d3, sc0, sc1, sc2, sc3)
    if A_PTR:
        a = tl.load(a_ptr + ia, mask=mask, other=0.0).to(tl.float32)
    else:
        a = a_val
    # b_val: the scalar b (add/sub: times alpha), or with a tensor b, add/sub's alpha (128 bytes
    # of push constants, Vulkan's minimum, hold no separate alpha with device addresses)
    if B_PTR:
        b = tl.load(b_ptr + ib, mask=mask, other=0.0).to(tl.float32)
        if OP == "add" or OP == "sub":
            b = b * b_val
    else:
        b = b_val
    if C_PTR:  # a bool condition (where, masked_fill)
        cond = tl.load(c_ptr + ic, mask=mask, other=0) != 0
    if OP == "add":
        r = a + b
    elif OP == "sub":
        r = a - b
    elif OP == "mul":
        r = a * b
    elif OP == "div":
        r = a / b
    elif OP == "exp":
        r = tl.exp(a)
    elif OP == "log":
        r = tl.log(a)
    elif OP == "sqrt":
        r = tl.sqrt_rn(a)
    elif OP == "rsqrt":
        r = tl.rsqrt(a)
    elif OP == "neg":
        r = -a
    elif OP == "abs":
        r = tl.abs(a)
    elif OP == "sigmoid":
        r = 1.0 / (1.0 + tl.exp(-a))
    elif OP == "fill":
        r = tl.full([BLOCK], 0.0, tl.float32) + a
    elif OP == "gelu":
        r = 0.5 * a * (1.0 + tl.erf(a * 0.7071067811865476))
    elif OP == "where":
        r = tl.where(cond, a, b)
    elif OP == "eq":
        r = a == b
    elif OP == "ne":
        r = a != b
    elif OP == "lt":
        r = a < b
    elif OP == "le":
        r = a <= b
    elif OP == "gt":
        r = a > b
    elif OP == "ge":
        r = a >= b
    else:  # relu (NaN stays NaN)
        r = tl.where(a < 0.0, 0.0, a)
    tl.store(out_ptr + offs, r.to(out_ptr.dtype.element_ty), mask=mask)


def merge_dims(shape, *strides):
    """shape and the operands' strides with adjacent dimensions merged wherever every operand
    walks them as one (stride[i] == stride[i+1] * size[i+1]); size-1 dimensions dropped."""
    dims = [(s, [st[i] for st in strides]) for i, s in enumerate(shape) if s != 1]
    out = []
    for size, sts in dims:
        if out and all(p == q * size for p, q in zip(out[-1][1], sts)):
            out[-1] = (out[-1][0] * size, sts)
        else:
            out.append((size, sts))
    return [d[0] for d in out], [[d[1][k] for d in out] for k in range(len(strides))]


def _f32(x):
    return struct.unpack("f", struct.pack("f", float(x)))[0]


def extent(shape, strides):
    return sum((s - 1) * st for s, st in zip(shape, strides)) + 1


class _Operand:
    """A kernel operand: a device tensor expanded to the result shape, or a scalar."""

    def __init__(self, torch, x, device):
        self.tensor = None
        self.value = 0.0
        self.ok = True  # False for a scalar no float32 holds (complex, huge ints): the CPU path
        if isinstance(x, torch.Tensor) and not (x.device.type == "cpu" and x.dim() == 0):
            if x.device != device:
                raise RuntimeError(f"Expected all tensors to be on the same device, but found at least "
                                   f"two devices, {device} and {x.device}!")
            self.tensor = x
            return
        try:
            self.value = float(x.item() if isinstance(x, torch.Tensor) else x)
        except (TypeError, ValueError, OverflowError):
            self.ok = False


def _usable(torch, out_dtype, *operands):
    """The kernel computes a result of out_dtype from these operands (floats, scalars float32
    holds, the Vulkan driver active)."""
    return kernels_usable() and out_dtype in floats(torch) and all(
        o.ok and (o.tensor is None or o.tensor.dtype in floats(torch)) for o in operands)


def launch(op, out, a, b=None, alpha=1.0, c=None):
    """out (contiguous, the broadcast shape) = op(a, b) for _Operands a and b (and c, a bool
    device tensor: the condition of where). False when the shape needs more than MAX_RANK
    dimensions or the device cannot build the kernel (the caller then computes on the CPU)."""
    n = out.numel()
    if n == 0:
        return True
    ops = [o for o in (a, b, c) if o is not None and o.tensor is not None]
    exp = [o.tensor.expand(out.shape) for o in ops]
    shape, strides = merge_dims(list(out.shape), list(out.stride()), *[list(e.stride()) for e in exp])
    if len(shape) > MAX_RANK:
        return False
    pad = MAX_RANK - len(shape)
    shape = [1] * pad + shape
    strides = [[0] * pad + st for st in strides]
    contig = all(st == strides[0] for st in strides[1:])  # every operand walks the output's order
    by_op = {id(o): st for o, st in zip(ops, strides[1:])}
    sa = by_op.get(id(a), [0] * MAX_RANK)
    sb = by_op.get(id(b), [0] * MAX_RANK) if b is not None else [0] * MAX_RANK
    sc = by_op.get(id(c), [0] * MAX_RANK) if c is not None else [0] * MAX_RANK
    wide = n + BLOCK >= 2**31 or any(extent(shape, st) >= 2**31 for st in strides)
    dummy = out
    b_val = 0.0 if b is None else b.value
    if op in ("add", "sub"):
        b_val = float(alpha) if b.tensor is not None else float(_f32(alpha) * _f32(b_val))
    return run_kernel(op, lambda: _pointwise_kernel[(triton.cdiv(n, BLOCK),)](
        a.tensor if a.tensor is not None else dummy,
        b.tensor if b is not None and b.tensor is not None else dummy,
        c.tensor if c is not None else dummy, out, n,
        shape[1], shape[2], shape[3], *sa, *sb, *sc, a.value, b_val,
        OP=op, A_PTR=a.tensor is not None, B_PTR=b is not None and b.tensor is not None, C_PTR=c is not None,
        CONTIG=contig, WIDE=wide, BLOCK=BLOCK, num_warps=4))


def _binary(torch, op, aten_op, inplace=False):
    """aten_op: the ATen overload itself (for the CPU path)."""
    def impl(a, b, *, alpha=1):
        device = device_of(torch, a, b)
        oa, ob = _Operand(torch, a, device), _Operand(torch, b, device)
        ob.ok = ob.ok and _Operand(torch, alpha, device).ok
        dtype = torch.result_type(a, b)
        if oa.tensor is None:  # scalar ∘ tensor
            shape = ob.tensor.shape
        elif ob.tensor is None:
            shape = oa.tensor.shape
        else:
            shape = torch.broadcast_shapes(oa.tensor.shape, ob.tensor.shape)
        kwargs = {} if op in ("mul", "div") else {"alpha": alpha}
        if inplace:
            ok = (_usable(torch, dtype, oa, ob) and dtype == a.dtype and tuple(shape) == tuple(a.shape)
                  and a.is_contiguous() and (ob.tensor is None or no_overlap(ob.tensor, a)))
            if ok and launch(op, a, oa, ob, alpha):
                return a
            return a.copy_(on_cpu(torch, aten_op, (a, b), kwargs))  # aten_op is the in-place one
        if _usable(torch, dtype, oa, ob):
            out = torch.empty(shape, dtype=dtype, device=device)
            if launch(op, out, oa, ob, alpha):
                return out
        return on_cpu(torch, aten_op, (a, b), kwargs)
    return impl


def no_overlap(src, dst):
    """src may be read while dst is written elementwise: it is dst itself, or another storage."""
    if src.untyped_storage().data_ptr() != dst.untyped_storage().data_ptr():
        return True
    return src.data_ptr() == dst.data_ptr() and src.stride() == dst.stride() and src.shape == dst.shape


def _unary(torch, op, aten_op):
    def impl(a):
        oa = _Operand(torch, a, a.device)
        if _usable(torch, a.dtype, oa):
            out = torch.empty(a.shape, dtype=a.dtype, device=a.device)
            if launch(op, out, oa):
                return out
        return on_cpu(torch, aten_op, (a,))
    return impl


def _fill(torch):
    def impl(x, value=0):
        ov = _Operand(torch, value, x.device)
        if ov.tensor is None and _usable(torch, x.dtype, ov) and x.is_contiguous() and launch("fill", x, ov):
            return x
        return x.copy_(on_cpu(torch, torch.ops.aten.fill_.Scalar, (x, value)))
    return impl


def _compare(torch, op, aten_op):
    def impl(a, b):
        device = device_of(torch, a, b)
        oa, ob = _Operand(torch, a, device), _Operand(torch, b, device)
        # bool results: float32 stands for "any float result" in the check
        if (_usable(torch, torch.float32, oa, ob) and not (oa.tensor is None and ob.tensor is None)
                and _same_float_type(torch, a, b)):
            dtype = torch.result_type(a, b)  # ATen compares in it: a scalar is rounded to it first
            for o in (oa, ob):
                if o.tensor is None:
                    o.value = float(torch.tensor(o.value, dtype=torch.float64).to(dtype))
            shape = torch.broadcast_shapes(*[o.tensor.shape for o in (oa, ob) if o.tensor is not None])
            out = torch.empty(shape, dtype=torch.bool, device=device)
            if launch(op, out, oa, ob):
                return out
        return on_cpu(torch, aten_op, (a, b))
    return impl


def _same_float_type(torch, a, b):
    """Both operands compare in float32 exactly as ATen compares them: tensors of one float
    dtype, or a tensor and a Python number (a CPU 0-dim tensor)."""
    ts = [x for x in (a, b) if isinstance(x, torch.Tensor) and not (x.device.type == "cpu" and x.dim() == 0)]
    return len({t.dtype for t in ts}) == 1


def _condition(torch, cond, device):
    """An _Operand-like bool device tensor, or None when the kernel cannot take it."""
    if isinstance(cond, torch.Tensor) and cond.device == device and cond.dtype == torch.bool:
        return _Operand(torch, cond, device)
    return None


def _where(torch):
    def impl(cond, a, b):
        device = device_of(torch, cond, a, b)
        oc = _condition(torch, cond, device)
        oa, ob = _Operand(torch, a, device), _Operand(torch, b, device)
        dtype = torch.result_type(a, b)
        if oc is not None and _usable(torch, dtype, oa, ob):
            shape = torch.broadcast_shapes(*[o.tensor.shape for o in (oc, oa, ob) if o.tensor is not None])
            out = torch.empty(shape, dtype=dtype, device=device)
            if launch("where", out, oa, ob, c=oc):
                return out
        return on_cpu(torch, torch.ops.aten.where.self, (cond, a, b))
    return impl


def _masked_fill(torch):
    def impl(x, mask, value):
        oc = _condition(torch, mask, x.device)
        ox, ov = _Operand(torch, x, x.device), _Operand(torch, value, x.device)
        ok = (oc is not None and ov.tensor is None and _usable(torch, x.dtype, ox, ov) and x.is_contiguous()
              and tuple(torch.broadcast_shapes(x.shape, mask.shape)) == tuple(x.shape))
        if ok and launch("where", x, ov, ox, c=oc):  # where(mask, value, x), in place
            return x
        return x.copy_(on_cpu(torch, torch.ops.aten.masked_fill_.Scalar, (x, mask, value)))
    return impl


def _gelu(torch):
    def impl(x, approximate="none"):
        ox = _Operand(torch, x, x.device)
        if approximate == "none" and _usable(torch, x.dtype, ox):
            out = torch.empty(x.shape, dtype=x.dtype, device=x.device)
            if launch("gelu", out, ox):
                return out
        return on_cpu(torch, torch.ops.aten.gelu.default, (x,), {"approximate": approximate})
    return impl


BINARY = ("add", "sub", "mul", "div")
COMPARE = ("eq", "ne", "lt", "le", "gt", "ge")
UNARY = ("exp", "log", "sqrt", "rsqrt", "neg", "abs", "sigmoid", "relu")


def register(torch):
    """Registers the kernels for the PrivateUse1 dispatch key (the tvk device)."""
    lib = torch.library.Library("aten", "IMPL")
    aten = torch.ops.aten
    for op in BINARY:
        lib.impl(f"{op}.Tensor", _binary(torch, op, getattr(aten, op).Tensor), "PrivateUse1")
        lib.impl(f"{op}_.Tensor", _binary(torch, op, getattr(aten, op + "_").Tensor, inplace=True), "PrivateUse1")
    for op in COMPARE:
        lib.impl(f"{op}.Tensor", _compare(torch, op, getattr(aten, op).Tensor), "PrivateUse1")
        lib.impl(f"{op}.Scalar", _compare(torch, op, getattr(aten, op).Scalar), "PrivateUse1")
    lib.impl("where.self", _where(torch), "PrivateUse1")
    lib.impl("masked_fill_.Scalar", _masked_fill(torch), "PrivateUse1")
    lib.impl("gelu", _gelu(torch), "PrivateUse1")
    lib.impl("fill_.Scalar", _fill(torch), "PrivateUse1")
    lib.impl("zero_", _fill(torch), "PrivateUse1")
    for op in UNARY:
        lib.impl(op, _unary(torch, op, getattr(aten, op).default), "PrivateUse1")
    return lib
