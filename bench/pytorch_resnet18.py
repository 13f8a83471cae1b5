#!/usr/bin/env python3
"""The seed's stack for comparison: torchvision ResNet18 (num_classes=2), Adam + cross-entropy, random
NCHW batches, on PyTorch's CPU path (Debian's build uses oneDNN). Prints one line per size x batch:
{"framework": "pytorch", "size", "batch", "train_images_per_s", "infer_ms_p50", ...} (JSON with --json).

Usage: python3 bench/pytorch_resnet18.py [--sizes 224,128] [--batch 16,64] [--steps 3] [--threads 2] [--json]
Exits 0 with a message on stderr when torch/torchvision cannot be imported.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time


def import_torch():
    try:
        import torch  # noqa: F401
        import torchvision  # noqa: F401
        return True
    except ImportError:
        return False


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="224,128")
    p.add_argument("--batch", default="16,64")
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--infer-runs", type=int, default=7)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()

    if not import_torch():
        # pyenv/venv interpreters often lack Debian's python3-torchvision; the system one has it.
        system = "/usr/bin/python3"
        if os.path.realpath(sys.executable) != os.path.realpath(system) and os.path.exists(system) \
                and not os.environ.get("PYTORCH_BENCH_REEXEC"):
            os.environ["PYTORCH_BENCH_REEXEC"] = "1"
            os.execv(system, [system] + sys.argv)
        print("bench/pytorch_resnet18.py skipped: torch/torchvision not importable "
              "(apt-get install -y python3-torchvision)", file=sys.stderr)
        return 0

    import torch
    import torchvision

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    sizes = [int(s) for s in a.sizes.split(",") if s.strip()]
    batches = [int(b) for b in a.batch.split(",") if b.strip()]
    for size in sizes:
        for batch in batches:
            model = torchvision.models.resnet18(num_classes=2)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            loss_fn = torch.nn.CrossEntropyLoss()
            x = torch.randn(batch, 3, size, size)
            y = torch.randint(0, 2, (batch,))

            def step():
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(x), y)
                loss.backward()
                opt.step()

            model.train()
            step()  # warm-up: oneDNN primitive creation, allocator
            t0 = time.perf_counter()
            for _ in range(a.steps):
                step()
            train_ips = batch * a.steps / (time.perf_counter() - t0)

            model.eval()
            one = torch.randn(1, 3, size, size)
            times = []
            with torch.no_grad():
                for r in range(a.infer_runs + 1):
                    t = time.perf_counter()
                    model(one)
                    if r > 0:
                        times.append((time.perf_counter() - t) * 1000)
            row = {
                "framework": "pytorch",
                "version": torch.__version__,
                "threads": torch.get_num_threads(),
                "size": size,
                "batch": batch,
                "steps": a.steps,
                "train_images_per_s": round(train_ips, 3),
                "infer_ms_p50": round(statistics.median(times), 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
            if a.json:
                print(json.dumps(row), flush=True)
            else:
                print(f"pytorch {row['version']} ({row['threads']} thr) {size}x{size} batch {batch}: "
                      f"train {row['train_images_per_s']} img/s, infer p50 {row['infer_ms_p50']} ms, "
                      f"peak RSS {row['peak_rss_mb']} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
