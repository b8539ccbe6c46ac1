"""The CPU path of ATen ops whose CPU kernels lose precision on float16/bfloat16 (the calls the
tvk device's kernels of norm.py and batch_norm.py do not cover): computed in float32, as GPU
kernels compute them (PyTorch's "opmath" type), then rounded to the dtypes the op returns for
its inputs.

Chosen by measurement (torch 2.11, CPU, errors in fp16 ulps of the largest result against a
float64 reference): native_layer_norm_backward's weight and bias gradients accumulate over the
rows in half precision, 18 ulps at 4096 rows and growing with them; native_layer_norm returns
its mean and rstd in half precision, where GPUs (and its meta kernel) give float32, and a
backward from those is 2 ulps further off (Triton's layer-norm tutorial failed its own check on
both). The other norms, softmax, sums and their backwards stay within 3 ulps and keep the
zero-copy CPU fallback."""
from .common import device_of, meta_results


def float32_on_cpu(torch, op):
    """op computed on the CPU with half/bf16 tensors in float32, its results rounded to the
    dtypes its meta kernel gives and moved back to the device."""
    from torch.utils._pytree import tree_map
    low = (torch.float16, torch.bfloat16)

    def impl(*args):
        device = device_of(torch, *args)
        meta = meta_results(torch, op, args)

        def to_cpu(a):
            if not isinstance(a, torch.Tensor):
                return a
            return a.to("cpu", torch.float32) if a.dtype in low else a.cpu()
        out = op(*tree_map(to_cpu, args))
        if isinstance(out, torch.Tensor):
            return out.to(device, meta.dtype)
        return type(out)(None if r is None else r.to(device, m.dtype) for r, m in zip(out, meta))
    return impl

