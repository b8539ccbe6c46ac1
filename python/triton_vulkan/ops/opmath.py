"""ATen ops whose CPU kernels lose precision on float16/bfloat16 run in float32 on the tvk
device, as GPU kernels compute them (PyTorch's "opmath" type), then round their results to the
dtypes the op returns for its inputs.

Chosen by measurement (torch 2.11, CPU, errors in fp16 ulps of the largest result against a
float64 reference): native_layer_norm_backward's weight and bias gradients accumulate over the
rows in half precision, 18 ulps at 4096 rows and growing with them; native_layer_norm returns
its mean and rstd in half precision, where GPUs (and its meta kernel) give float32, and a
backward from those is 2 ulps further off (Triton's layer-norm tutorial failed its own check on
both). The other norms, softmax, sums and their backwards stay within 3 ulps and keep the
zero-copy CPU fallback."""

OPS = ("native_layer_norm", "native_layer_norm_backward")


def float32_on_cpu(torch, op):
    """op computed on the CPU with half/bf16 tensors in float32, its results rounded to the
    dtypes its meta kernel gives and moved back to the device."""
    from torch.utils._pytree import tree_map
    low = (torch.float16, torch.bfloat16)

    def impl(*args, **kwargs):
        device = next(a.device for a in args if isinstance(a, torch.Tensor))
        # The meta kernel gives the result dtypes (and which results exist) for these inputs.
        meta = op(*tree_map(lambda a: a.to("meta") if isinstance(a, torch.Tensor) else a, args), **kwargs)

        def to_cpu(a):
            if not isinstance(a, torch.Tensor):
                return a
            return a.to("cpu", torch.float32) if a.dtype in low else a.cpu()
        out = op(*tree_map(to_cpu, args), **kwargs)
        if isinstance(out, torch.Tensor):
            return out.to(device, meta.dtype)
        return type(out)(None if r is None else r.to(device, m.dtype) for r, m in zip(out, meta))
    return impl


def register(torch, except_ops=()):
    """Registers the float32 forms of OPS (but except_ops, which have kernels whose CPU path
    float32_on_cpu is) for the PrivateUse1 dispatch key (the tvk device)."""
    lib = torch.library.Library("aten", "IMPL")
    for name in OPS:
        if name not in except_ops:
            lib.impl(name, float32_on_cpu(torch, getattr(torch.ops.aten, name).default), "PrivateUse1")
    return lib
