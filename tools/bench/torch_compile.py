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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--small", action="store_true", help="test sizes (lavapipe)")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--json")
    args = p.parse_args()
    os.environ.setdefault("TVK_WARN_FALLBACK", "0")
    import torch
    import triton_vulkan
    triton_vulkan.activate()
    from triton_vulkan import torch_device
    torch_device.register()
    from test_torch_compile import _gpt_block
    nn = torch.nn
    s = 1 if args.small else 8
    models = {
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
    cuda = torch.cuda.is_available()
    rows = []
    for name, (make, shape) in models.items():
        torch.manual_seed(0)
        # The encoder layer in train mode (dropout 0): in eval mode without grad PyTorch takes a
        # fused inference op (_transformer_encoder_layer_fwd) that Inductor does not decompose.
        model = make().train() if name == "transformer_encoder_layer" else make().eval()
        x = torch.randn(*shape)
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
            if cuda:
                cm, cx = make().train(model.training).cuda(), x.cuda()
                cm.load_state_dict(model.state_dict())
                cc = torch.compile(cm)
                cc(cx)
                row["cuda_eager_ms"] = _time(lambda: cm(cx), torch.cuda.synchronize, args.reps)
                row["cuda_compiled_ms"] = _time(lambda: cc(cx), torch.cuda.synchronize, args.reps)
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
