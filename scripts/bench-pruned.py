#!/usr/bin/env python3
"""Does pruning turn FLOPs into time? A network against pruned versions of it, dnalc and PyTorch side by side.

Random weights and random masks keeping a fraction of every gate's channels are written in dnalc's
documented formats (README "Weights files", Grammar.md section 16), `dnalc prune` builds the compact
networks (residual ones with their gathers and scatters, or `--dense`), `dnalc bench --compare` times
both, and PyTorch times the same graphs in the same run: each canonical YAML file dnalc writes is
read (its canonical form, Grammar.md section 15) and interpreted layer by layer (gathers as index_select, scatters as a zero tensor filled with
index_copy, gates left out, which favours PyTorch). Run with the peer venv's python (torch, numpy),
after `swift build -c release`:

    ~/.venv-peer/bin/python scripts/bench-pruned.py resnet56-cifar10 [--dense] [--aligned] [--keep 0.5,0.3] [--work DIR]
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time
import numpy as np

from random_weights import analyze, random_weights, write_safetensors

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DNALC = os.path.join(ROOT, ".build/release/dnalc")
THREADS, BATCH, REPEATS = 2, 128, 3


def run(*args):
    return subprocess.run([DNALC, *args], check=True, capture_output=True, text=True).stdout


def parse_value(text):
    text = text.strip()
    if text.startswith("[") or text.startswith("{"):
        inner = text[1:-1]
        parts = split_top(inner)
        if text.startswith("["):
            return [parse_value(p) for p in parts if p.strip()]
        return {k.strip(): parse_value(v) for k, v in (p.split(":", 1) for p in parts if p.strip())}
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text.strip("'")


def split_top(text):
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def read_canonical(path):
    """A network file in dnalc's canonical form: header scalars and one `- op: {...}` line per layer."""
    spec, layers = {}, []
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("  - "):
            op, rest = line[4:].split(":", 1)
            layers.append({op: parse_value(rest)})
        elif not line.startswith(" ") and ":" in line:
            key, rest = line.split(":", 1)
            spec[key] = parse_value(rest) if rest.strip() else None
    spec["layers"] = layers
    return spec


def torch_model(path):
    """A torch module computing the canonical network file at `path` (random weights: only time matters)."""
    import torch
    from torch import nn
    spec = read_canonical(path)
    items = [(op, dict(a or {})) for entry in spec["layers"] for op, a in entry.items()]

    class Graph(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleDict()
            channels, previous = {"input": spec["input"][0]}, "input"
            self.plan = []
            for op, a in items:
                name, key = a["name"], a["name"].replace(".", "_")
                src = a.get("from", previous)
                cin = channels[src] if isinstance(src, str) else channels[src[0]]
                out = cin
                if op in ("conv", "linear"):
                    out = a["out"]
                    # a conv or linear line: the layer, then its folded bn and act
                    if op == "conv":
                        seq = [nn.Conv2d(cin, out, a["kernel"], a["stride"], a["padding"], groups=a.get("groups", 1),
                                         bias=a.get("bias", False))]
                    else:
                        seq = [nn.Flatten(), nn.LazyLinear(out, bias=a.get("bias", True))]
                    if a.get("bn"):
                        seq.append(nn.BatchNorm2d(out) if op == "conv" else nn.BatchNorm1d(out))
                    if a.get("act") in ("relu", "relu6"):
                        seq.append(nn.ReLU() if a["act"] == "relu" else nn.ReLU6())
                    self.layers[key] = nn.Sequential(*seq)
                elif op == "bn":
                    self.layers[key] = nn.BatchNorm2d(cin)
                elif op in ("relu", "relu6"):
                    self.layers[key] = nn.ReLU() if op == "relu" else nn.ReLU6()
                elif op in ("maxpool", "avgpool"):
                    cls = nn.MaxPool2d if op == "maxpool" else nn.AvgPool2d
                    self.layers[key] = cls(a["kernel"], a["stride"], a["padding"])
                elif op == "gap":
                    self.layers[key] = nn.AdaptiveAvgPool2d(1)
                elif op == "gather":
                    self.register_buffer(key, torch.tensor(a["channels"]))
                    out = len(a["channels"])
                elif op == "scatter":
                    self.register_buffer(key, torch.tensor(a["channels"]))
                    out = a["out"]
                elif op == "zeropad":
                    out = a["out"]
                elif op == "concat":
                    out = sum(channels[s] for s in src)
                # a conv or linear line's folded nodes (NAME.bn, .gate, .act) all name its output
                for alias in (name, name + ".bn", name + ".gate", name + ".act"):
                    channels[alias] = out
                self.plan.append((op, key, src, a))
                previous = name

        def forward(self, x):
            values = {"input": x}
            for op, key, src, a in self.plan:
                if op == "add":
                    y = sum(values[s] for s in src)
                elif op == "concat":
                    y = torch.cat([values[s] for s in src], 1)
                else:
                    v = values[src]
                    if op == "gather":
                        y = v.index_select(1, getattr(self, key))
                    elif op == "scatter":
                        y = v.new_zeros(v.shape[0], a["out"], *v.shape[2:]).index_copy(1, getattr(self, key), v)
                    elif op == "zeropad":
                        s, o = a["stride"], a["offset"]
                        v = v[:, :, ::s, ::s]
                        y = nn.functional.pad(v, (0, 0, 0, 0, o, a["out"] - v.shape[1] - o))
                    elif op in ("gate", "dropout", "identity", "flatten"):
                        y = v.flatten(1) if op == "flatten" else v
                    else:
                        y = self.layers[key](v)
                for alias in (a["name"], a["name"] + ".bn", a["name"] + ".gate", a["name"] + ".act"):
                    values[alias] = y
            return y

    model = Graph()
    with torch.no_grad():
        model(torch.randn(2, *spec["input"]))  # materialise the lazy linear layers
    return model


def torch_ms(path, train, steps):
    import torch
    torch.set_num_threads(THREADS)
    torch.set_flush_denormal(True)  # random weights through 56 layers: keep denormals from timing the FPU's slow path
    model = torch_model(path).train(train)
    spec = read_canonical(path)
    x, y = torch.randn(BATCH, *spec["input"]), torch.randint(0, spec["classes"], (BATCH,))
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
    parser = argparse.ArgumentParser()
    parser.add_argument("network")
    parser.add_argument("--dense", action="store_true")
    parser.add_argument("--keep", default="0.5,0.3")
    parser.add_argument("--aligned", action="store_true",
                        help="every gate keeps its first channels (a residual trunk then shrinks with its branches)")
    parser.add_argument("--work", help="keep the weights, masks and pruned networks in this directory "
                                       "(default: a temporary one, removed at the end)")
    args = parser.parse_args()
    net = os.path.join(ROOT, "architectures", args.network + ".yaml")
    rng = np.random.RandomState(0)
    layers = analyze(DNALC, net)
    if args.work:
        os.makedirs(args.work, exist_ok=True)
        work = args.work
    else:
        temporary = tempfile.TemporaryDirectory(prefix="dnalc-pruned-bench-")
        work = temporary.name
    weights = os.path.join(work, "weights.safetensors")
    write_safetensors(random_weights(layers, rng), weights)
    gates = [l for l in layers if l["op"] == "gate"]

    def prune(keep, out):
        masks = {"network": args.network, "gates": {
            l["name"]: list(range(max(1, round(l["output"][0] * keep)))) if args.aligned else
            sorted(rng.choice(l["output"][0], max(1, round(l["output"][0] * keep)), replace=False).tolist()) for l in gates}}
        path = os.path.join(work, f"masks{keep}.json")
        with open(path, "w") as f:
            json.dump(masks, f)
        run("prune", net, "--weights", weights, "--masks", path, "--out", out, *(["--dense"] if args.dense and keep < 1 else []))
        return out

    full = prune(1.0, os.path.join(work, "full.yaml"))  # the same network in canonical form, for the torch side
    print("| kept | mode | MACs ratio | dnalc ms full -> pruned | dnalc speedup | speedup / MACs ratio | PyTorch ms full -> pruned | PyTorch speedup | dnalc / PyTorch time, pruned |")
    print("|---|---|---|---|---|---|---|---|---|")
    for keep in (float(k) for k in args.keep.split(",")):
        pruned = prune(keep, os.path.join(work, f"pruned{keep}.yaml"))
        for mode, steps in (("infer", 10), ("train", 5)):
            # this machine's timings drift between runs: each figure is the median of REPEATS runs,
            # dnalc's and PyTorch's interleaved
            runs, tbs, tss = [], [], []
            for _ in range(REPEATS):
                runs.append(json.loads(run("bench", net, "--compare", pruned, f"--{mode}", "--batch", str(BATCH),
                                           "--threads", str(THREADS), "--steps", str(steps), "--format", "json")))
                tbs.append(torch_ms(full, mode == "train", steps))
                tss.append(torch_ms(pruned, mode == "train", steps))
            base = statistics.median(b["base"]["ms_per_step"] for b in runs)
            small = statistics.median(b["compare"]["ms_per_step"] for b in runs)
            tb, ts = statistics.median(tbs), statistics.median(tss)
            ratio = runs[0]["macs_ratio"]
            print(f"| {int(keep * 100)}%{' dense' if args.dense else ''}{' aligned' if args.aligned else ''} | {mode} | {ratio:.2f}x | "
                  f"{base:.1f} -> {small:.1f} | {base / small:.2f}x | {base / small / ratio:.2f} | {tb:.1f} -> {ts:.1f} | {tb / ts:.2f}x | "
                  f"{small / ts:.2f} |", flush=True)


if __name__ == "__main__":
    main()
