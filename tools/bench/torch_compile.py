"""torch.compile on the tvk device: four small real models (the ones tests/python/
test_torch_compile.py checks), timed eager and compiled on the device, and (where CUDA is
present) eager and compiled on CUDA in the same process. Each compiled output is checked
against eager CPU first. Prints a table of milliseconds per forward pass and the ATen ops that
ran through the device's CPU fallback.

    python tools/bench/torch_compile.py [--small] [--json out.json]
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "python"))


def _time(fn, sync, reps):
    fn()
    sync()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    sync()
    return (time.perf_counter() - t0) * 1e3 / reps


def _models(torch, s):
    from test_torch_compile import _gpt_block
    nn = torch.nn
    return {
        "mlp": (lambda: nn.Sequential(nn.Linear(256 * s, 1024 * s), nn.GELU(), nn.Linear(1024 * s, 256 * s)),
                (64 * s, 256 * s)),
        "transformer_encoder_layer": (lambda: nn.TransformerEncoderLayer(
            d_model=64 * s, nhead=4, dim_feedforward=256 * s, dropout=0.0, batch_first=True), (s, 128, 64 * s)),
        "cnn": (lambda: nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10)),
            (4 * s, 3, 64, 64)),
        "gpt_block": (lambda: _gpt_block(torch, nn, d=64 * s, heads=8), (s, 128, 64 * s)),
    }


def _build(torch, make, shape, name):
    torch.manual_seed(0)
    # The encoder layer in train mode (dropout 0): in eval mode without grad PyTorch takes a
    # fused inference op (_transformer_encoder_layer_fwd) that Inductor does not decompose.
    model = make().train() if name == "transformer_encoder_layer" else make().eval()
    return model, torch.randn(*shape)


def cuda_part(args):
    """CUDA eager and compiled times (a process of its own: Triton has one active driver)."""
    import torch
    out = {}
    for name, (make, shape) in _models(torch, 1 if args.small else 8).items():
        model, x = _build(torch, make, shape, name)
        with torch.no_grad():
            cm, cx = model.cuda(), x.cuda()
            cc = torch.compile(cm)
            cc(cx)
            out[name] = {"cuda_eager_ms": _time(lambda: cm(cx), torch.cuda.synchronize, args.reps),
                         "cuda_compiled_ms": _time(lambda: cc(cx), torch.cuda.synchronize, args.reps)}
    print("CUDA_JSON " + json.dumps(out))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--small", action="store_true", help="test sizes (lavapipe)")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--json")
    p.add_argument("--cuda-part", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.cuda_part:
        return cuda_part(args)
    os.environ.setdefault("TVK_WARN_FALLBACK", "0")
    import torch
    import triton_vulkan
    triton_vulkan.activate()
    from triton_vulkan import torch_device
    torch_device.register()
    cuda = torch.cuda.is_available()
    cuda_times = {}
    if cuda:
        import subprocess
        cmd = [sys.executable, __file__, "--cuda-part", "--reps", str(args.reps)] + (["--small"] if args.small else [])
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        line = [x for x in r.stdout.splitlines() if x.startswith("CUDA_JSON ")]
        if line:
            cuda_times = json.loads(line[0][len("CUDA_JSON "):])
        else:
            print("CUDA part failed:", r.stderr[-2000:])
            cuda = False
    rows = []
    for name, (make, shape) in _models(torch, 1 if args.small else 8).items():
        model, x = _build(torch, make, shape, name)
        with torch.no_grad():
            ref = model(x)
            row = {"model": name}
            dm, dx = model.to("tvk"), x.to("tvk")
            compiled = torch.compile(dm)
            t0 = time.perf_counter()
            out = compiled(dx)
            torch.tvk.synchronize()
            row["compile_s"] = time.perf_counter() - t0
            torch.testing.assert_close(out.cpu(), ref, rtol=1e-4, atol=1e-4)
            row["tvk_eager_ms"] = _time(lambda: dm(dx), torch.tvk.synchronize, args.reps)
            row["tvk_compiled_ms"] = _time(lambda: compiled(dx), torch.tvk.synchronize, args.reps)
            row.update(cuda_times.get(name, {}))
        rows.append(row)
        print(row, flush=True)
    cols = ["model", "compile_s", "tvk_eager_ms", "tvk_compiled_ms"] + (["cuda_eager_ms", "cuda_compiled_ms"] if cuda else [])
    print("\n| " + " | ".join(cols) + " | eager/compiled (tvk) |")
    print("|" + " --- |" * (len(cols) + 1))
    for r in rows:
        cells = [r["model"]] + [f"{r[c]:.2f}" for c in cols[1:]]
        print("| " + " | ".join(cells) + f" | {r['tvk_eager_ms'] / r['tvk_compiled_ms']:.1f}x |")
    print("\nATen ops through the CPU fallback:", ", ".join(torch_device.fallback_ops()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "fallback_ops": torch_device.fallback_ops()}, f, indent=1)


if __name__ == "__main__":
    main()
