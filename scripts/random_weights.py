"""Random weights for any dnalc network, written in dnalc's documented safetensors layout
(README "Weights files"). Shared by the benchmark and check scripts that need weights for
networks no bundled data can train (ImageNet shapes, VGG16 at full width)."""
import json, math, struct, subprocess
import numpy as np


def analyze(dnalc, network):
    """The network's layers as `dnalc analyze --format json --all` lists them."""
    out = subprocess.run([dnalc, "analyze", network, "--format", "json", "--all"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["layers"]


def random_weights(layers, rng, closed_fraction=0.0):
    """He-initialised convs and linears, perturbed batch-norm statistics, and gate masks closing
    about `closed_fraction` of the channels. Kernel sizes and biases follow from each layer's
    parameter count."""
    t = {}
    for l in layers:
        name, op, out = l["name"], l["op"], l["output"][0]
        if op in ("conv", "dwconv"):
            cin = 1 if op == "dwconv" else l["input"][0]
            for bias in (0, 1):
                k = int(round(math.sqrt((l["params"] - bias * out) / (out * cin))))
                if k * k * out * cin + bias * out == l["params"]:
                    break
            t[name + ".weight"] = rng.randn(out, cin, k, k) * math.sqrt(2 / (cin * k * k))
            if bias:
                t[name + ".bias"] = 0.01 * rng.randn(out)
        elif op == "bn":
            t.update({name + ".weight": 1 + 0.1 * rng.randn(out), name + ".bias": 0.1 * rng.randn(out),
                      name + ".running_mean": 0.1 * rng.randn(out), name + ".running_var": 1 + 0.1 * rng.rand(out)})
        elif op == "gate":
            t.update({name + ".alpha": np.ones(out), name + ".mask": (rng.rand(out) >= closed_fraction).astype(np.float32)})
        elif op == "linear":
            fan_in = int(np.prod(l["input"]))
            t[name + ".weight"] = rng.randn(out, fan_in) / math.sqrt(fan_in)
            if l["params"] == fan_in * out + out:
                t[name + ".bias"] = np.zeros(out)
    return t


def write_safetensors(tensors, path):
    """float32 little-endian tensors behind a JSON header, as the safetensors format lays them out."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        blob = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
