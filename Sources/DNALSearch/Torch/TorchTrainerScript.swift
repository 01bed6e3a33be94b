/// The Python trainer of the PyTorch backend, shipped inside the dnalc binary and written into
/// every torch run's job directory (`TorchJob`), so the directory is a self-contained job. It
/// imports torch and the standard library only, and carries out the epoch plans of job.json; see
/// its docstring for what it does and what it leaves to dnalc.
enum TorchTrainerScript {
    /// Its name in the job directory.
    static let fileName = "dnalc_trainer.py"

    static let source = #"""
"""DNAL trainer of dnalc's PyTorch backend: runs the epoch plans dnalc wrote into job.json.

Started by `dnalc search --engine torch`, or by hand on a cluster (the command dnalc prints with
`--launch none`):

    torchrun --standalone --nproc_per_node N dnalc_trainer.py job.json

It continues from RUN/checkpoints/last.safetensors (dnalc writes the first one, so both engines start
from the same weights), and after every epoch writes what the native engine writes, in the same
formats: checkpoints/last and best (atomic), log.csv, and for phase 2 the gates' state, from which
dnalc fills in the cost columns at the end. It stops at the first phase-3 epoch until dnalc has
derived the weight masks (torch/weight_masks.safetensors); dnalc then starts it again.

The schedule itself (phases, beta, rates, what is frozen) is dnalc's: each epoch's plan says what to
do, so this file holds only the mechanics. The batch order and crops are drawn as the native
engine draws them (SplitMix64), so one process sees the native engine's batches; with N processes
each takes every N-th image of each global batch (`batch` stays the global batch size). Batch-norm
statistics are per process on CPU (SyncBatchNorm needs CUDA) and synchronised on CUDA.
"""
import ast
import faulthandler
import importlib.util
import json
import math
import os
import struct
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

MASK64 = (1 << 64) - 1


class SplitMix64:
    """dnalc's SeededRandom: the same sequence for the same seed."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)


def epoch_order(seed, epoch, count):
    """The native engine's sample order of an epoch (BatchSource.order)."""
    rng = SplitMix64(seed + epoch * 0x9E3779B9)
    order = list(range(count))
    for i in range(count - 1, 0, -1):
        j = rng.next() % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def augmentation_draws(seed, epoch, index, count, padding, flip):
    """(dy, dx, flip) per image of global batch `index`, drawn as BatchSource.fill draws them."""
    rng = SplitMix64(seed ^ (epoch << 32) ^ ((index * 0xBF58476D) & MASK64))
    draws = []
    for _ in range(count):
        dy = rng.next() % (2 * padding + 1) - padding if padding > 0 else 0
        dx = rng.next() % (2 * padding + 1) - padding if padding > 0 else 0
        f = flip and rng.next() & 1 == 1
        draws.append((dy, dx, f))
    return draws


def read_npy(path):
    """A uint8 .npy array as a tensor (no numpy needed)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        raise SystemExit(f"error: {path} is not a .npy file")
    major = data[6]
    size_bytes = 2 if major == 1 else 4
    (size,) = struct.unpack("<H" if major == 1 else "<I", data[8:8 + size_bytes])
    header = ast.literal_eval(data[8 + size_bytes:8 + size_bytes + size].decode("latin1"))  # a dict literal
    if header["descr"] not in ("|u1", "<u1") or header["fortran_order"]:
        raise SystemExit(f"error: {path} must hold a C-ordered uint8 array")
    body = bytearray(data[8 + size_bytes + size:])
    return torch.frombuffer(body, dtype=torch.uint8).reshape(header["shape"]) if body else \
        torch.zeros(header["shape"], dtype=torch.uint8)


class Data:
    """A split as dnalc wrote it: uint8 images [N, C, H, W] and labels [N]."""

    def __init__(self, job_dir, images, labels):
        self.images = read_npy(os.path.join(job_dir, images))
        self.labels = read_npy(os.path.join(job_dir, labels)).long()

    def __len__(self):
        return self.labels.shape[0]


def batch_images(data, indices, draws, mean, std, padding):
    """Normalised float images of `indices`, cropped and flipped as `draws` say (zeros outside the image)."""
    x = data.images[indices].float() / 255
    if draws is not None and padding > 0:
        h, w = x.shape[2], x.shape[3]
        padded = F.pad(x, (padding, padding, padding, padding))
        out = torch.empty_like(x)
        for k, (dy, dx, flip) in enumerate(draws):
            image = padded[k].flip(-1) if flip else padded[k]
            out[k] = image[:, padding + dy:padding + dy + h, padding + dx:padding + dx + w]
        x = out
    elif draws is not None:
        x = torch.stack([image.flip(-1) if f else image for image, (_, _, f) in zip(x, draws)])
    return (x - mean) / std


def write_atomically(path, data):
    """Writes through a temporary file and a rename, as dnalc does (a kill leaves the old file)."""
    directory, name = os.path.split(path)
    temp = os.path.join(directory, f".{name}.tmp-{os.getpid()}")
    with open(temp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, path)


def safetensors_bytes(tensors, metadata):
    """A safetensors file of float32 tensors, keys sorted, with string metadata."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().to("cpu", torch.float32).contiguous()
        try:
            blob = t.numpy().tobytes()
        except (RuntimeError, TypeError):  # torch built without numpy
            blob = struct.pack(f"<{t.numel()}f", *t.flatten().tolist())
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


class Trainer:
    """One process of the run: its shard of every global batch, DistributedDataParallel when
    there are several processes, and (rank 0) the run directory's files."""

    def __init__(self, job_path):
        self.job_dir = os.path.dirname(os.path.abspath(job_path))
        with open(job_path) as f:
            self.job = json.load(f)
        job = self.job
        self.run_dir = os.path.normpath(os.path.join(self.job_dir, job["run_directory"]))
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if job["device"] == "cuda":
            if not torch.cuda.is_available():
                raise SystemExit("error: the job asks for CUDA and this torch sees no CUDA device")
            torch.cuda.set_device(local_rank)
            self.device = torch.device("cuda", local_rank)
        else:
            self.device = torch.device("cpu")
            torch.set_num_threads(max(1, int(job.get("threads_per_process", 1))))
        if self.world > 1:
            dist.init_process_group("nccl" if job["device"] == "cuda" else "gloo")
        if job["batch"] % self.world:
            raise SystemExit(f"error: the batch ({job['batch']}) must be a multiple of the process count ({self.world})")
        torch.manual_seed(job["seed"] * 1000 + self.rank)  # dropout only
        spec = importlib.util.spec_from_file_location("dnalc_model", os.path.join(self.job_dir, "model.py"))
        self.model_module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.model_module)
        self.net = self.model_module.build()
        data = job["data"]
        self.train = Data(self.job_dir, data["train_images"], data["train_labels"])
        self.test = Data(self.job_dir, data["test_images"], data["test_labels"])
        shape = [1, -1, 1, 1]
        self.mean = torch.tensor(job["normalization"]["mean"]).view(shape)
        self.std = torch.tensor(job["normalization"]["std"]).view(shape)
        self.groups = job["groups"]

    def path(self, name):
        return os.path.join(self.run_dir, name)

    def log(self, kind, value):
        """Progress, rank 0 only: JSON lines when dnalc launched the run (it prints them its own
        way), else a line for the person who ran the command."""
        if self.rank != 0:
            return
        if os.environ.get("DNALC_PROTOCOL") == "1":
            print(f"DNALC-{kind} {json.dumps(value)}", flush=True)
        elif kind == "EPOCH":
            print(f"phase {value['phase']} epoch {value['epoch']}  loss {value['loss']:.4f}  top1 {value['test']['top1']:.2f}%  "
                  f"gates {value['openGates']}/{value['gates']}  {value['seconds']:.1f} s", flush=True)
        elif kind == "NEEDS-MASKS":
            print(f"stopped before phase 3: continue with `dnalc search --resume {self.run_dir} --launch none` (it derives "
                  "the weight masks), then run this command again", flush=True)
        elif kind == "DONE":
            print(f"trained all {value['epochs_done']} epochs: finish with `dnalc search --resume {self.run_dir}`", flush=True)

    # -- checkpoints -----------------------------------------------------------------------------

    def load_checkpoint(self):
        tensors, metadata = self.model_module.read_safetensors(self.path("checkpoints/last.safetensors"))
        self.net.load_state_dict({k: v.float() for k, v in tensors.items()}, strict=True)
        self.state = json.loads(metadata["dnalc.checkpoint"])

    def write_weights(self, path, metadata):
        state = {k: v for k, v in self.net.state_dict().items()}
        write_atomically(path, safetensors_bytes(state, {**self.job["weights_metadata"], **metadata}))

    def write_checkpoint(self, name):
        self.write_weights(self.path(f"checkpoints/{name}.safetensors"),
                           {"dnalc.checkpoint": json.dumps(self.state, separators=(",", ":"))})

    def write_log(self):
        lines = ["phase,epoch,beta,loss,top1,top5,open_gates,expected_flops,hard_flops,hard_params,lambda,cross_entropy,regulariser,lr,seconds"]
        for r in self.state["records"]:
            costs = [str(r[k]) if r.get("costsKnown", True) else "" for k in ("expectedFLOPs", "hardFLOPs", "hardParams")]
            lam = "" if r.get("lambda") is None else repr(float(r["lambda"]))
            parts = ["" if r.get(k) is None else f"{r[k]:.6f}" for k in ("crossEntropy", "regulariser")]
            rate = "" if r.get("learningRate") is None else f"{r['learningRate']:.6g}"
            lines.append(",".join([str(r["phase"]), str(r["epoch"]), repr(float(r["beta"])), f"{r['loss']:.6f}",
                                   f"{r['test']['top1']:.2f}", f"{r['test']['top5']:.2f}", str(r["openGates"]), *costs,
                                   lam, *parts, rate, f"{r['seconds']:.2f}"]))
        write_atomically(self.path("log.csv"), ("\n".join(lines) + "\n").encode())

    def write_gate_snapshot(self, epochs_done):
        """The gates after a phase-2 epoch, from which dnalc counts the epoch's costs."""
        os.makedirs(os.path.join(self.job_dir, "gates"), exist_ok=True)
        tensors = {k: v for k, v in self.net.state_dict().items() if self.groups.get(k) == "alpha"}
        write_atomically(os.path.join(self.job_dir, "gates", f"epoch-{epochs_done}.safetensors"),
                         safetensors_bytes(tensors, {}))

    # -- one epoch -------------------------------------------------------------------------------

    def set_gates(self, plan):
        for g in self.gates:
            g.mode = plan["gate_mode"]
            g.beta = float(plan["beta"])
            g.eval_hard = False  # evaluate with the epoch's gates, as the native search does

    def open_gates(self):
        """Gate channels binarising now would keep (dnalc's EpochRecord.openGates)."""
        beta_final, threshold = self.job["beta_final"], self.job["threshold"]
        count = 0
        for g in self.gates:
            keep = g.mask > 0
            if g.mode == "search":
                keep = keep & (torch.sigmoid(beta_final * g.alpha.detach().float()) > threshold)
            count += int(keep.sum())
        return count

    def apply_weight_masks(self):
        """Phase 3's weight masks (dnalc derived them from the gates): masked weights stay exactly 0."""
        with torch.no_grad():
            for tensor, mask in self.masked:
                tensor.mul_(mask)

    def run_epoch(self, e, plan, model):
        """Trains one epoch; returns the mean loss and its cross-entropy part over all processes' images,
        and the learning rate of the last step."""
        job = self.job
        stepping = [p for name, p in self.net.named_parameters() if self.groups[name] in plan["stepping"]]
        optimizer = torch.optim.SGD(stepping, lr=plan["learning_rate"], momentum=job["momentum"],
                                    weight_decay=plan["weight_decay"])  # re-created every epoch, as the reference does
        order = epoch_order(job["seed"], e, len(self.train))
        batch, padding, flip = job["batch"], job["augmentation"]["crop_padding"], job["augmentation"]["horizontal_flip"]
        batches = (len(order) + batch - 1) // batch
        total = torch.zeros(3, dtype=torch.float64)  # loss sum, cross-entropy sum, images
        lr = plan["learning_rate"]
        model.train()
        for b in range(batches):
            indices = order[b * batch:(b + 1) * batch]
            if len(indices) < self.world:
                continue  # a last batch too small to give every process an image
            draws = augmentation_draws(job["seed"], e, b, len(indices), padding, flip)
            mine = slice(self.rank, None, self.world)
            index = torch.tensor(indices[mine])
            x = batch_images(self.train, index, draws[mine], self.mean, self.std, padding).to(self.device)
            y = self.train.labels[index].to(self.device)
            lr = plan["learning_rate"]
            if plan.get("cosine") is not None:  # [the epoch the cosine stands at, its horizon], in epochs
                start, horizon = plan["cosine"]
                lr = lr * 0.5 * (1 + math.cos(math.pi * (start * batches + b) / max(horizon * batches, 1)))
            for group in optimizer.param_groups:
                group["lr"] = lr
            if plan.get("beta_ramp_to") is not None:  # the per-step beta schedule
                step, steps = plan["epoch"] * batches + b, plan["epochs"] * batches
                beta = math.pow(plan["beta_ramp_to"], (step + 1) / max(steps, 1))
                for g in self.gates:
                    g.beta = beta
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            value = loss.detach().double().cpu()
            cross_entropy = float(value)
            if plan.get("regulariser") is not None:
                term = plan["regulariser"] * sum(torch.sigmoid(g.alpha).sum() for g in self.gates)
                loss = loss + term
                value += term.detach().double().cpu()
            if not math.isfinite(float(value)):
                raise SystemExit(f"error: phase {plan['phase']} epoch {plan['epoch'] + 1}, batch {b + 1}: the loss is {float(value)}; "
                                 f"the last checkpoint (after {e} epochs) is in {self.path('checkpoints')}; try a lower learning rate or lambda")
            loss.backward()
            optimizer.step()
            if plan["weight_masks"]:
                self.apply_weight_masks()
            total += torch.tensor([float(value) * len(index), cross_entropy * len(index), len(index)], dtype=torch.float64)
            if self.rank == 0 and (b % 10 == 9 or b == batches - 1):
                self.log("BATCH", {"phase": plan["phase"], "epoch": plan["epoch"], "epochs": plan["epochs"],
                                   "batch": b, "batches": batches})
        self.set_gates(plan)  # evaluate at the epoch's beta, as the native trainer does
        if self.world > 1:
            dist.all_reduce(total)
        images = max(float(total[2]), 1)
        return float(total[0]) / images, float(total[1]) / images, lr

    def evaluate(self, model):
        """Loss, top-1 and top-5 (%) on the test split, each process taking every N-th image."""
        model.eval()
        sums = torch.zeros(4, dtype=torch.float64)  # loss sum, top-1, top-5, images
        indices = list(range(self.rank, len(self.test), self.world))
        step = max(self.job["batch"], 256)
        with torch.no_grad():
            for start in range(0, len(indices), step):
                index = torch.tensor(indices[start:start + step])
                x = batch_images(self.test, index, None, self.mean, self.std, 0).to(self.device)
                y = self.test.labels[index].to(self.device)
                logits = model(x).float()
                if not torch.isfinite(logits).all():
                    raise SystemExit("error: evaluation produced non-finite logits (NaN or infinity)")
                # rank of the label = classes scoring at least as high, itself excluded (ties count against it)
                rank = (logits >= logits.gather(1, y[:, None])).sum(1) - 1
                sums += torch.tensor([float(F.cross_entropy(logits, y, reduction="sum")), float((rank == 0).sum()),
                                      float((rank < 5).sum()), len(index)], dtype=torch.float64)
        if self.world > 1:
            dist.all_reduce(sums)
        n = max(float(sums[3]), 1.0)
        return {"loss": float(sums[0]) / n, "top1": 100 * float(sums[1]) / n, "top5": 100 * float(sums[2]) / n,
                "images": int(sums[3])}

    def wrap(self):
        """The module training steps through: the network itself, or DDP around it."""
        if self.world == 1:
            return self.net
        ids = [self.device.index] if self.device.type == "cuda" else None
        return torch.nn.parallel.DistributedDataParallel(self.net, device_ids=ids)

    # -- the run ---------------------------------------------------------------------------------

    def run(self):
        self.load_checkpoint()
        if self.device.type == "cuda" and self.world > 1:
            self.net = torch.nn.SyncBatchNorm.convert_sync_batchnorm(self.net)
            self.net.refresh()
        self.net.to(self.device)
        self.gates = [m for m in self.net.modules() if isinstance(m, self.model_module.Gate)]
        plans = self.job["plans"]
        masks_path = os.path.join(self.job_dir, "weight_masks.safetensors")
        for e in range(self.state["epochsDone"], len(plans)):
            plan = plans[e]
            if plan["weight_masks"]:
                if not os.path.exists(masks_path):
                    self.log("NEEDS-MASKS", {"epochs_done": e})
                    return
                if not hasattr(self, "masked"):
                    tensors, _ = self.model_module.read_safetensors(masks_path)
                    state = self.net.state_dict()
                    self.masked = [(state[k], v.float().to(self.device)) for k, v in tensors.items()]
            start = time.time()
            self.set_gates(plan)
            with torch.no_grad():
                if plan["reset_alpha"]:
                    for g in self.gates:
                        g.alpha.zero_()
                if plan["weight_masks"]:
                    self.apply_weight_masks()
            for name, p in self.net.named_parameters():
                p.requires_grad_(self.groups[name] in plan["stepping"])
            model = self.wrap()
            loss, cross_entropy, rate = self.run_epoch(e, plan, model)
            test = self.evaluate(self.net)  # unwrapped: processes may run different batch counts here
            record = {"phase": plan["phase"], "epoch": plan["epoch"] + 1, "beta": plan["record_beta"], "loss": loss,
                      "test": test, "openGates": self.open_gates(), "gates": self.job["gate_channels"],
                      "expectedFLOPs": 0, "hardFLOPs": 0, "hardParams": 0, "costsKnown": False,
                      "crossEntropy": cross_entropy, "regulariser": loss - cross_entropy, "learningRate": rate,
                      "seconds": time.time() - start}
            if plan.get("regulariser") is not None:
                record["lambda"] = plan["regulariser"]
            self.state["records"].append(record)
            self.state["epochsDone"] = e + 1
            if self.rank == 0:
                if plan["phase"] == 2:
                    self.write_gate_snapshot(e + 1)
                best = self.state.get("bestTop1")
                if plan["tracks_best"] and test["top1"] > (best if best is not None else -1):
                    self.state["bestTop1"] = test["top1"]
                    self.write_checkpoint("best")
                self.write_checkpoint("last")
                self.write_log()
            self.log("EPOCH", record)
            if self.world > 1:
                dist.barrier()
        self.log("DONE", {"epochs_done": self.state["epochsDone"]})


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: dnalc_trainer.py JOB.json  (normally started by dnalc search --engine torch)")
    faulthandler.enable()  # a crash in native code leaves its Python stack in trainer.log
    trainer = Trainer(sys.argv[1])
    try:
        trainer.run()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    # Everything is on disk and every process has passed the last barrier. Leave without the
    # interpreter's finalisation: process-group threads that still hold tensors can crash it
    # there (SIGSEGV/SIGABRT), which would turn a finished run into a failed one.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
"""#
}
