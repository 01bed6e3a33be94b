/// The fixed part of every generated `model.py`: the layer classes dnalc's ops need beyond
/// torch.nn's own, and a safetensors reader in plain torch, so the file imports only torch and
/// the standard library.
enum PyTorchPrelude {
    static let source = #"""
import json
import struct

import torch
from torch import nn
import torch.nn.functional as F


class Gate(nn.Module):
    """A DNAL channel gate: multiplies channel c by g_c.

    mode "identity": g = 1 (phase 1 trains the weights as if there were no gates);
    mode "search":   g = sigmoid(beta * alpha) * mask (phase 2 learns alpha);
    mode "hard":     g = mask (phase 3, and inference: what `dnalc eval` runs).
    A new gate is hard with every channel open; the trainer sets `mode` and `beta` per epoch.
    In eval() mode a gate applies its hard mask whatever `mode` says, unless `eval_hard` is off
    (the search evaluates each epoch with that epoch's gates, as dnalc's native engine does).
    """

    def __init__(self, channels):
        super().__init__()
        self.alpha = nn.Parameter(torch.zeros(channels))
        self.register_buffer("mask", torch.ones(channels))
        self.mode = "hard"
        self.beta = 1.0
        self.eval_hard = True

    def forward(self, x):
        mode = "hard" if not self.training and self.eval_hard else self.mode
        if mode == "identity":
            return x
        if mode == "hard":
            g = self.mask
        else:
            g = torch.sigmoid(self.beta * self.alpha) * self.mask
        return x * g.view((1, -1) + (1,) * (x.dim() - 2))


class BatchNorm2d(nn.BatchNorm2d):
    """nn.BatchNorm2d without `num_batches_tracked`: the momentum is fixed, so the count is
    never read, and leaving it out keeps state_dict() equal to dnalc's weights files."""

    def __init__(self, channels, eps, momentum):
        super().__init__(channels, eps=eps, momentum=momentum)
        self.register_buffer("num_batches_tracked", None)

    def _load_from_state_dict(self, state_dict, prefix, *args):
        # nn.BatchNorm's version would insert num_batches_tracked into files without it
        nn.Module._load_from_state_dict(self, state_dict, prefix, *args)


class BatchNorm1d(nn.BatchNorm1d):
    """nn.BatchNorm1d without `num_batches_tracked` (see BatchNorm2d)."""

    def __init__(self, channels, eps, momentum):
        super().__init__(channels, eps=eps, momentum=momentum)
        self.register_buffer("num_batches_tracked", None)

    def _load_from_state_dict(self, state_dict, prefix, *args):
        nn.Module._load_from_state_dict(self, state_dict, prefix, *args)


def zero_pad(x, channels, stride, offset):
    """Option-A shortcut: x[:, :, ::stride, ::stride] placed at channel `offset` among zeros."""
    if stride > 1:
        x = x[:, :, ::stride, ::stride]
    return F.pad(x, (0, 0, 0, 0, offset, channels - x.shape[1] - offset))


def gather(x, index):
    """Keeps the listed channels (a pruned layer reading part of a tensor)."""
    return x.index_select(1, index)


def scatter(x, index, channels):
    """Places x's channels at `index` among zero channels (a pruned branch writing into the trunk)."""
    shape = list(x.shape)
    shape[1] = channels
    return x.new_zeros(shape).index_copy(1, index, x)


_DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
           "I64": torch.int64, "I32": torch.int32, "U8": torch.uint8}


def read_safetensors(path):
    """(tensors, metadata) of a safetensors file, read with torch alone."""
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    metadata = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        raw = bytearray(data[8 + size + begin:8 + size + end])
        tensors[name] = torch.frombuffer(raw, dtype=_DTYPES[info["dtype"]]).reshape(info["shape"]) if raw else \
            torch.zeros(info["shape"], dtype=_DTYPES[info["dtype"]])
    return tensors, metadata


def load(path):
    """The network with the weights of a dnalc safetensors file (strict: every key must match)."""
    net = build()
    tensors, _ = read_safetensors(path)
    net.load_state_dict({k: v.float() for k, v in tensors.items()}, strict=True)
    return net


class Layers(nn.Module):
    """The network's modules, registered under their dnalc names (dots make nested modules, so the
    state_dict keys are the names in dnalc's weights files)."""

    def place(self, name, module):
        parent = self
        parts = name.split(".")
        for part in parts[:-1]:
            if part not in parent._modules:
                parent.add_module(part, nn.Module())
            parent = parent._modules[part]
        if parts[-1] in parent._modules:
            # a container created for a deeper name first: move its children under the module
            for key, child in parent._modules[parts[-1]]._modules.items():
                module.add_module(key, child)
        parent.add_module(parts[-1], module)

    def table(self):
        """name -> module, looked up again after a module is swapped (SyncBatchNorm)."""
        return dict(self.named_modules())
"""#
}
