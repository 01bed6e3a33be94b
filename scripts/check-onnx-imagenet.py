#!/usr/bin/env python3
"""The ImageNet-shaped networks of architectures/ through ONNX: random weights (no ImageNet data here),
`dnalc predict` and `dnalc export` on the same two images, onnx.checker, onnxruntime. Too slow for CI
(about 90 s); run by hand after `swift build`, with numpy, onnx and onnxruntime:

    python scripts/check-onnx-imagenet.py [path/to/dnalc]

Prints each network's max relative difference, and onnxruntime's own optimised-against-unoptimised
difference beside it: with random weights the deep networks amplify rounding, and that second
figure says how much of the first is the network rather than either runtime.
"""
import os, subprocess, sys, tempfile
import numpy as np
import onnx
import onnxruntime as ort

from random_weights import analyze, random_weights, write_safetensors

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DNALC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/dnalc")
NETWORKS = ["resnet50-imagenet", "mobilenetv2-imagenet", "proxylessnas-imagenet", "vgg16-imagenet"]


def main():
    work = tempfile.mkdtemp(prefix="dnalc-onnx-imagenet-")
    for name in NETWORKS:
        network = os.path.join(ROOT, "architectures", name + ".yaml")
        layers = analyze(DNALC, network)
        weights, x_path, logits, model = (os.path.join(work, name + ext) for ext in (".safetensors", ".x.npy", ".logits.npy", ".onnx"))
        write_safetensors(random_weights(layers, np.random.RandomState(0), closed_fraction=0.2), weights)
        x = np.random.RandomState(1).randn(2, *layers[0]["input"]).astype(np.float32)
        np.save(x_path, x)
        subprocess.run([DNALC, "predict", network, "--weights", weights, "--input", x_path, "--output", logits], check=True, capture_output=True)
        subprocess.run([DNALC, "export", network, "--weights", weights, "--onnx", model], check=True, capture_output=True)
        onnx.checker.check_model(onnx.load(model))
        got = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
        plain = ort.SessionOptions()
        plain.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        unoptimised = ort.InferenceSession(model, plain, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
        want = np.load(logits)
        scale = np.abs(want).max()
        print(f"{name:24s} dnalc vs onnxruntime {np.abs(got - want).max() / scale:.2e}   "
              f"onnxruntime optimised vs not {np.abs(got - unoptimised).max() / scale:.2e}")


if __name__ == "__main__":
    main()
