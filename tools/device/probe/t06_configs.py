"""Where tutorial 06's benchmark spends its time on the Vulkan backend: each autotune config of
`_attn_fwd` (fp16 forward, one HEAD_DIM) run alone, with its first call (Triton's frontend, our
compile, the driver's pipeline creation) and its do_bench time, at one N_CTX.

    python3 tools/device/probe/t06_configs.py [--head-dim 128] [--n-ctx 1024] [--causal]
        [--batch 4] [--heads 32]

Needs the tutorial in .tutorials/06-fused-attention.py (tools/tutorials/README.md) and
triton_vulkan activated (CUDA is present on the device machine)."""
import argparse
import importlib.util
import pathlib
import sys
import time

import triton_vulkan

triton_vulkan.activate()

import torch  # noqa: E402
import triton  # noqa: E402


def load_tutorial(root):
    path = root / ".tutorials" / "06-fused-attention.py"
    spec = importlib.util.spec_from_file_location("t06", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # the benchmark runs only under __main__
    return mod


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--head-dim", type=int, default=128)
    p.add_argument("--n-ctx", type=int, default=1024)
    p.add_argument("--causal", action="store_true")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--heads", type=int, default=32)
    p.add_argument("--only", default="", help="BM,BN,warps: that config alone")
    args = p.parse_args()
    root = pathlib.Path(__file__).resolve().parents[3]
    mod = load_tutorial(root)
    dev = triton.runtime.driver.active.get_active_torch_device()
    Z, H, N, D = args.batch, args.heads, args.n_ctx, args.head_dim
    g = torch.Generator(device="cpu").manual_seed(0)
    q, k, v = (torch.randn((Z, H, N, D), generator=g, dtype=torch.float16).to(dev) for _ in range(3))
    tuner = mod._attn_fwd
    all_configs = list(tuner.configs)
    seen = set()
    print(f"{len(all_configs)} configs; HEAD_DIM={D} N_CTX={N} causal={args.causal} device={dev}", flush=True)
    print("| BM | BN | warps | stages | first call s | ms | TFLOP/s |", flush=True)
    print("| --- | --- | --- | --- | --- | --- | --- |", flush=True)
    flops = 4.0 * Z * H * N * N * D * (0.5 if args.causal else 1.0)
    for cfg in all_configs:
        key = (cfg.kwargs["BLOCK_M"], cfg.kwargs["BLOCK_N"], cfg.num_warps)
        if key in seen:  # num_stages variants compile to one binary here
            continue
        if args.only and key != tuple(int(x) for x in args.only.split(",")):
            continue
        seen.add(key)
        tuner.configs = [cfg]
        tuner.cache = {}
        t0 = time.perf_counter()
        try:
            mod.attention(q, k, v, args.causal, 0.5, False)
            triton.runtime.driver.active.get_device_interface().synchronize()
        except Exception as e:  # noqa: BLE001 - report and go on
            print(f"| {key[0]} | {key[1]} | {key[2]} | {cfg.num_stages} | error: {type(e).__name__}: {str(e)[:120]} | | |",
                  flush=True)
            continue
        first = time.perf_counter() - t0
        ms = triton.testing.do_bench(lambda: mod.attention(q, k, v, args.causal, 0.5, False), warmup=10, rep=40)
        print(f"| {key[0]} | {key[1]} | {key[2]} | {cfg.num_stages} | {first:.2f} | {ms:.3f} | {flops / ms * 1e-9:.1f} |",
              flush=True)
        if args.only:  # the same calls timed by the host: 20 back to back, then one synchronize
            sync = triton.runtime.driver.active.get_device_interface().synchronize
            sync()
            t0 = time.perf_counter()
            for _ in range(20):
                mod.attention(q, k, v, args.causal, 0.5, False)
            sync()
            wall = (time.perf_counter() - t0) / 20 * 1e3
            print(f"host-timed: {wall:.3f} ms per call ({flops / wall * 1e-9:.1f} TFLOP/s)", flush=True)
    tuner.configs = all_configs


if __name__ == "__main__":
    sys.exit(main())
