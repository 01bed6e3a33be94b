#!/usr/bin/env python3
"""The real-client check: export networks with dnalc and compare onnxruntime's and PyTorch's outputs with dnalc's.

For each network: `dnalc train` one short epoch (real weights and batch-norm statistics), a pruned
network from a short `dnalc search`, then `dnalc predict` and `dnalc export` on the same random
input; onnx.checker must pass and onnxruntime's logits must match dnalc's within 1e-4 relative.
When torch is installed, `dnalc export --pytorch` too: the generated model.py must load the weights
strictly and match dnalc's logits within 1e-5 relative.
Needs numpy, onnx and onnxruntime, optionally torch (`.ci/run` installs them into a throwaway venv):

    python scripts/check-onnx.py [path/to/dnalc]
"""
import json, os, subprocess, sys, tempfile
import numpy as np
import onnx
import onnxruntime as ort

try:
    import torch
except ImportError:
    torch = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DNALC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/dnalc")
# plain chain, residual with option-A zero-pad shortcuts, depthwise + relu6 + residual, candidate-op sum
NETWORKS = ["vgg6-mnist", "resnet8-mnist", "mobilenet-tiny-mnist", "supernet-tiny-mnist"]
# the paper's CIFAR-10 networks, trained for a moment on random CIFAR-format records
CIFAR = ["vgg8-cifar10", "resnet8-cifar10", "resnet20-cifar10", "resnet56-cifar10", "vgg16-cifar10", "mobilenetv2-cifar10",
         "supernet-tiny-cifar10"]
LIMITS = ["--set", "train_limit=128", "--set", "test_limit=32", "--batch", "32"]


def dnalc(*args):
    result = subprocess.run([DNALC, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"dnalc {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def check(name, network, weights, work, shape=(1, 28, 28)):
    x = np.random.RandomState(7).randn(5, *shape).astype(np.float32)
    inputs, logits, model = (os.path.join(work, f"{name}.{ext}") for ext in ("x.npy", "logits.npy", "onnx"))
    np.save(inputs, x)
    dnalc("predict", network, "--weights", weights, "--input", inputs, "--output", logits)
    dnalc("export", network, "--weights", weights, "--onnx", model)
    onnx.checker.check_model(onnx.load(model), full_check=True)
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x})[0]
    want = np.load(logits)
    rel = np.abs(got - want).max() / max(np.abs(want).max(), 1e-12)
    print(f"{name:46s} max relative difference {rel:.2e}  ({len(onnx.load(model).graph.node)} ONNX nodes)")
    ok = rel <= 1e-4
    if torch is not None:
        ok &= check_pytorch(name, network, weights, work, x, want)
    return ok


def check_pytorch(name, network, weights, work, x, want):
    """model.py from `dnalc export --pytorch`, loaded strictly with the weights, against dnalc's logits."""
    import importlib.util
    directory = os.path.join(work, name.replace(" ", "_") + ".torch")
    dnalc("export", network, "--weights", weights, "--pytorch", directory)
    spec = importlib.util.spec_from_file_location("model_" + str(abs(hash(directory))), os.path.join(directory, "model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.load(os.path.join(directory, "weights.safetensors")).eval()
    with torch.no_grad():
        got = net(torch.from_numpy(x)).numpy()
    rel = np.abs(got - want).max() / max(np.abs(want).max(), 1e-12)
    # in eval() mode gates apply their masks whatever their mode, as dnalc eval does
    for gate in (m for m in net.modules() if isinstance(m, module.Gate)):
        gate.mode = "identity"
    with torch.no_grad():
        same = bool((net(torch.from_numpy(x)).numpy() == got).all())
    print(f"{'':46s} model.py                  {rel:.2e}{'' if same else '  (eval() did not apply the masks)'}")
    return rel <= 1e-5 and same


def write_random_masks(network, weights, path):
    """A masks file keeping ~60% of every gate's channels (at least one), the gates read from the
    weights' `NAME.mask` tensors (the safetensors header is JSON)."""
    with open(weights, "rb") as f:
        header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
    name = subprocess.run([DNALC, "analyze", network, "--format", "json"], capture_output=True, text=True, check=True)
    rng = np.random.RandomState(5)
    gates = {}
    for key, info in sorted(header.items()):
        if key.endswith(".mask"):
            width = info["shape"][0]
            keep = [c for c in range(width) if rng.rand() < 0.6] or [0]
            gates[key[:-5]] = keep
    with open(path, "w") as f:
        json.dump({"network": json.loads(name.stdout)["network"], "gates": gates}, f)


def main():
    with tempfile.TemporaryDirectory(prefix="dnalc-onnx-") as work:
        ok = run_checks(work)
    sys.exit(0 if ok else "onnxruntime (1e-4) or model.py (1e-5) disagrees with dnalc")


def run_checks(work):
    """Every check in `work`; whether all agree."""
    ok = True
    for name in NETWORKS:
        network = os.path.join(ROOT, "architectures", name + ".yaml")
        run = os.path.join(work, name)
        dnalc("train", network, "--epochs", "1", "--out", run, *LIMITS)
        ok &= check(name, network, os.path.join(run, "final.safetensors"), work)
    cifar = os.path.join(work, "cifar")
    os.makedirs(cifar)
    rng = np.random.RandomState(3)
    for file, count in (("data_batch_1.bin", 64), ("test_batch.bin", 16)):
        records = np.concatenate([rng.randint(0, 10, (count, 1)), rng.randint(0, 256, (count, 3072))], axis=1)
        records.astype(np.uint8).tofile(os.path.join(cifar, file))
    for name in CIFAR:
        network = os.path.join(ROOT, "architectures", name + ".yaml")
        run = os.path.join(work, name)
        dnalc("train", network, "--epochs", "1", "--out", run, "--data", cifar, "--batch", "32")
        ok &= check(name, network, os.path.join(run, "final.safetensors"), work, shape=(3, 32, 32))
    search = os.path.join(work, "search")
    dnalc("search", os.path.join(ROOT, "architectures/vgg6-mnist.yaml"), "--epochs", "1,1,1", "--lambda", "0.01", "--out", search, *LIMITS)
    ok &= check("vgg6-mnist pruned", os.path.join(search, "pruned.yaml"), os.path.join(search, "pruned.safetensors"), work)
    # the searched network itself: gates with closed channels, applied as masks
    ok &= check("vgg6-mnist searched (hard gates)", os.path.join(ROOT, "architectures/vgg6-mnist.yaml"),
                os.path.join(search, "final.safetensors"), work)
    # pruned residual, depthwise and candidate-op networks: random masks, so gathers, scatters and
    # removed branches all occur; `--dense` aligns the sums instead
    # (ResNet-20's stages of three blocks run their last two as chains: planar on AVX-512, on
    # 32x32, 16x16 and packed 8x8 planes)
    for name in ["resnet8-mnist", "mobilenet-tiny-mnist", "supernet-tiny-mnist", "resnet20-cifar10"]:
        shape = (3, 32, 32) if name.endswith("cifar10") else (1, 28, 28)
        network = os.path.join(ROOT, "architectures", name + ".yaml")
        weights = os.path.join(work, name, "final.safetensors")
        masks = os.path.join(work, name + ".masks.json")
        write_random_masks(network, weights, masks)
        for mode in ([], ["--dense"]):
            pruned = os.path.join(work, f"{name}.pruned{'-dense' if mode else ''}.yaml")
            dnalc("prune", network, "--weights", weights, "--masks", masks, "--out", pruned, *mode)
            text = open(pruned).read()
            maps = ("gather:" in text) + ("scatter:" in text)
            ok &= check(f"{name} pruned{' dense' if mode else ''} ({maps} map kinds)", pruned, pruned[:-5] + ".safetensors", work,
                        shape=shape)
    return ok


if __name__ == "__main__":
    main()
