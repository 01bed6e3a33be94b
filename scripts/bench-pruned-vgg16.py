#!/usr/bin/env python3
"""Does pruning turn FLOPs into time? VGG16-C against two pruned versions, dnalc and PyTorch side by side.

Random weights and random masks keeping 50% and 30% of every gate's channels are written in dnalc's
documented formats (README "Weights files", Grammar.md section 16), `dnalc prune` builds the compact
networks, `dnalc bench --compare` times both, and PyTorch (../shared/peer) times the same widths in the
same run. Run with the peer venv's python (torch, numpy), after `swift build -c release`:

    ~/.venv-peer/bin/python scripts/bench-pruned-vgg16.py
"""
import json, os, re, statistics, subprocess, sys, tempfile, time
import numpy as np

from random_weights import analyze, random_weights, write_safetensors

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DNALC = os.path.join(ROOT, ".build/release/dnalc")
NET = os.path.join(ROOT, "architectures/vgg16-cifar10.yaml")
THREADS, BATCH = 2, 128


def run(*args):
    return subprocess.run([DNALC, *args], check=True, capture_output=True, text=True).stdout


def torch_ms(widths, train, steps):
    import torch
    sys.path.insert(0, os.path.join(ROOT, "../shared/peer"))
    from peer_models import VGGCifar
    torch.set_num_threads(THREADS)
    cfg = []
    for i, w in enumerate(widths, 1):
        cfg.append(w)
        if i in (2, 4, 7, 10):
            cfg.append("M")
    model = VGGCifar(cfg, conv_bias=True).train(train)
    x, y = torch.randn(BATCH, 3, 32, 32), torch.randint(0, 10, (BATCH,))
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

    def step():
        if train:
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        else:
            with torch.no_grad():
                model(x)
    for _ in range(2):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main():
    rng = np.random.RandomState(0)
    layers = analyze(DNALC, NET)
    work = tempfile.mkdtemp(prefix="dnalc-pruned-bench-")
    weights = os.path.join(work, "vgg16.safetensors")
    write_safetensors(random_weights(layers, rng), weights)
    full = [l["output"][0] for l in layers if l["op"] == "conv"]
    print("| kept | mode | MACs ratio | dnalc ms full -> pruned | dnalc speedup | speedup / MACs ratio | PyTorch ms full -> pruned | PyTorch speedup | dnalc / PyTorch time, pruned |")
    print("|---|---|---|---|---|---|---|---|---|")
    for keep in (0.5, 0.3):
        masks = {"network": "vgg16-cifar10", "gates": {
            l["name"]: sorted(rng.choice(l["output"][0], max(1, round(l["output"][0] * keep)), replace=False).tolist())
            for l in layers if l["op"] == "gate"}}
        masks_path, pruned = os.path.join(work, f"masks{keep}.json"), os.path.join(work, f"pruned{keep}.yaml")
        with open(masks_path, "w") as f:
            json.dump(masks, f)
        run("prune", NET, "--weights", weights, "--masks", masks_path, "--out", pruned)
        widths = [int(w) for w in re.findall(r"conv: \{name: conv\d+, out: (\d+)", open(pruned).read())]
        for mode, steps in (("infer", 10), ("train", 5)):
            b = json.loads(run("bench", NET, "--compare", pruned, f"--{mode}", "--batch", str(BATCH),
                               "--threads", str(THREADS), "--steps", str(steps), "--format", "json"))
            base, small = b["base"]["ms_per_step"], b["compare"]["ms_per_step"]
            tb, ts = torch_ms(full, mode == "train", steps), torch_ms(widths, mode == "train", steps)
            print(f"| {int(keep * 100)}% | {mode} | {b['macs_ratio']:.2f}x | {base:.1f} -> {small:.1f} | {b['speedup']:.2f}x | "
                  f"{b['speedup_over_macs_ratio']:.2f} | {tb:.1f} -> {ts:.1f} | {tb / ts:.2f}x | {small / ts:.2f} |")


if __name__ == "__main__":
    main()
