"""Elementwise ATen ops on the tvk device as one Triton kernel: add/sub (with alpha), mul, div,
their in-place forms, exp, log, sqrt, rsqrt, neg, abs, sigmoid, relu, and fill_/zero_, over float16,
bfloat16 and float32 (computed in float32), any strides and broadcasting (up to 4 dimensions
after merging the ones that are contiguous together), and CPU 0-dim tensors (Python numbers)
as scalars. Other dtypes, ranks and mixes keep ATen's semantics through the CPU."""
import triton
import triton.language as tl

from .common import floats, kernels_usable, on_cpu

MAX_RANK = 4
BLOCK = 1024


@triton.jit
def _pointwise_kernel(a_ptr, b_ptr, out_ptr, n, d1, d2, d3,
                      sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3, a_val, b_val, alpha,
                      OP: tl.constexpr, A_PTR: tl.constexpr, B_PTR: tl.constexpr,
                      CONTIG: tl.constexpr, WIDE: tl.constexpr, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    if WIDE:
        pid = pid.to(tl.int64)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    if CONTIG:
        ia = offs
        ib = offs
    else:
        i3 = offs % d3
        t = offs // d3
        i2 = t % d2
        t = t // d2
        i1 = t % d1
        i0 = t // d1
        ia = i0 * sa0 + i1 * sa1 + i2 * sa2 + i3 * sa3
        ib = i0 * sb0 + i1 * sb1 + i2 * sb2 + i3 * sb3
    if A_PTR:
        a = tl.load(a_ptr + ia, mask=mask, other=0.0).to(tl.float32)
    else:
        a = a_val
    if B_PTR:
        b = tl.load(b_ptr + ib, mask=mask, other=0.0).to(tl.float32)
    else:
        b = b_val
    if OP == "add":
        r = a + alpha * b
    elif OP == "sub":
        r = a - alpha * b
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


def _extent(shape, strides):
    return sum((s - 1) * st for s, st in zip(shape, strides)) + 1


class _Operand:
    """A kernel operand: a device tensor expanded to the result shape, or a scalar."""

    def __init__(self, torch, x, device):
        self.tensor = None
        self.value = 0.0
        if isinstance(x, torch.Tensor):
            if x.device.type == "cpu" and x.dim() == 0:
                self.value = float(x.item())
            elif x.device != device:
                raise RuntimeError(f"Expected all tensors to be on the same device, but found at least "
                                   f"two devices, {device} and {x.device}!")
            else:
                self.tensor = x
        else:
            self.value = float(x)


def _usable(torch, out_dtype, *operands):
    return kernels_usable() and out_dtype in floats(torch) and all(
        o.tensor is None or o.tensor.dtype in floats(torch) for o in operands)


def launch(torch, op, out, a, b=None, alpha=1.0):
    """out (contiguous, the broadcast shape) = op(a, b) for _Operands a and b. False when the
    shape needs more than MAX_RANK dimensions (the caller then computes on the CPU)."""
    n = out.numel()
    if n == 0:
        return True
    ops = [o for o in (a, b) if o is not None and o.tensor is not None]
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
    wide = n + BLOCK >= 2**31 or any(_extent(shape, st) >= 2**31 for st in strides)
    dummy = out
    _pointwise_kernel[(triton.cdiv(n, BLOCK),)](
        a.tensor if a.tensor is not None else dummy,
        b.tensor if b is not None and b.tensor is not None else dummy, out, n,
        shape[1], shape[2], shape[3], *sa, *sb, a.value, 0.0 if b is None else b.value, float(alpha),
        OP=op, A_PTR=a.tensor is not None, B_PTR=b is not None and b.tensor is not None,
        CONTIG=contig, WIDE=wide, BLOCK=BLOCK, num_warps=4)
    return True


def _binary(torch, op, aten_op, inplace=False):
    """aten_op: the ATen overload itself (for the CPU path)."""
    def impl(a, b, *, alpha=1):
        device = next(x.device for x in (a, b) if isinstance(x, torch.Tensor) and x.device.type != "cpu")
        oa, ob = _Operand(torch, a, device), _Operand(torch, b, device)
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
                  and a.is_contiguous() and (ob.tensor is None or _no_overlap(ob.tensor, a)))
            if ok and launch(torch, op, a, oa, ob, alpha):
                return a
            return a.copy_(on_cpu(torch, aten_op, (a, b), kwargs))  # aten_op is the in-place one
        if _usable(torch, dtype, oa, ob):
            out = torch.empty(shape, dtype=dtype, device=device)
            if launch(torch, op, out, oa, ob, alpha):
                return out
        return on_cpu(torch, aten_op, (a, b), kwargs)
    return impl


def _no_overlap(src, dst):
    """src may be read while dst is written elementwise: it is dst itself, or another storage."""
    if src.untyped_storage().data_ptr() != dst.untyped_storage().data_ptr():
        return True
    return src.data_ptr() == dst.data_ptr() and src.stride() == dst.stride() and src.shape == dst.shape


def _unary(torch, op, aten_op):
    def impl(a):
        oa = _Operand(torch, a, a.device)
        if _usable(torch, a.dtype, oa):
            out = torch.empty(a.shape, dtype=a.dtype, device=a.device)
            if launch(torch, op, out, oa):
                return out
        return on_cpu(torch, aten_op, (a,))
    return impl


def _fill(torch):
    def impl(x, value=0):
        ov = _Operand(torch, value, x.device)
        if ov.tensor is None and _usable(torch, x.dtype) and x.is_contiguous() and launch(torch, "fill", x, ov):
            return x
        return x.copy_(on_cpu(torch, torch.ops.aten.fill_.Scalar, (x, value)))
    return impl


BINARY = ("add", "sub", "mul", "div")
UNARY = ("exp", "log", "sqrt", "rsqrt", "neg", "abs", "sigmoid", "relu")


def register(torch):
    """Registers the kernels for the PrivateUse1 dispatch key (the tvk device)."""
    lib = torch.library.Library("aten", "IMPL")
    aten = torch.ops.aten
    for op in BINARY:
        lib.impl(f"{op}.Tensor", _binary(torch, op, getattr(aten, op).Tensor), "PrivateUse1")
        lib.impl(f"{op}_.Tensor", _binary(torch, op, getattr(aten, op + "_").Tensor, inplace=True), "PrivateUse1")
    lib.impl("fill_.Scalar", _fill(torch), "PrivateUse1")
    lib.impl("zero_", _fill(torch), "PrivateUse1")
    for op in UNARY:
        lib.impl(op, _unary(torch, op, getattr(aten, op).default), "PrivateUse1")
    return lib
