#!/usr/bin/env python3
"""Peak resident memory of training steps, dnalc against PyTorch on the same network.

For each network, `dnalc bench --train` reports the peak resident set of its process while it times
training steps (batch 128, 2 threads). PyTorch runs the same network, the model.py that
`dnalc export --pytorch` writes, for the same number of SGD steps (momentum 0.9, weight decay, batch
128, 2 threads) in a fresh process that measures its own peak with getrusage. Both figures are whole
processes: the PyTorch one includes its libraries, so the table also gives what the steps added to
the resident set of the PyTorch process once the model was built ("step growth") and the tensor
memory dnalc's plan reserves ("planned tensors"). Run with the peer venv's
python (torch), after `swift build -c release`:

    ~/.venv-peer/bin/python scripts/peak-memory.py [resnet56-cifar10 vgg16-cifar10 mobilenetv2-cifar10]
"""
import json, os, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DNALC = os.path.join(ROOT, ".build/release/dnalc")
STEPS, BATCH, THREADS = 6, 128, 2
MIB = 1024 * 1024

# the PyTorch side, run in its own process so that nothing else is resident
TORCH_STEPS = r"""
import json, resource, sys, torch
sys.path.insert(0, sys.argv[1])
import model
torch.set_num_threads(int(sys.argv[2]))
steps, batch = int(sys.argv[3]), int(sys.argv[4])
shape = [int(v) for v in sys.argv[5].split(",")]
classes = int(sys.argv[6])
net = model.build()
net.train()
optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
x = torch.randn(batch, *shape)
y = torch.randint(0, classes, (batch,))
def rss():  # current resident set, bytes
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()
before = rss()
for _ in range(steps):
    optimizer.zero_grad(set_to_none=True)
    loss = torch.nn.functional.cross_entropy(net(x), y)
    loss.backward()
    optimizer.step()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"peak": peak, "before": before}))
"""


def network_input(path):
    """(shape, classes) from the network file's `input:` and `classes:` lines."""
    shape, classes = None, None
    for line in open(path):
        key, _, value = line.partition(":")
        if key.strip() == "input" and shape is None:
            shape = [int(v) for v in value.strip().strip("[]").split(",")]
        elif key.strip() == "classes" and classes is None:
            classes = int(value.strip())
    return shape, classes


def main():
    names = sys.argv[1:] or ["resnet56-cifar10", "vgg16-cifar10", "mobilenetv2-cifar10"]
    print("| network | dnalc peak | PyTorch peak | ratio | dnalc planned tensors | PyTorch step growth |")
    print("|---|---|---|---|---|---|")
    for name in names:
        path = os.path.join(ROOT, "architectures", name + ".yaml")
        bench = json.loads(subprocess.run(
            [DNALC, "bench", path, "--train", "--batch", str(BATCH), "--threads", str(THREADS), "--steps", str(STEPS),
             "--warmup", "1", "--format", "json"], check=True, capture_output=True, text=True).stdout)
        with tempfile.TemporaryDirectory() as work:
            subprocess.run([DNALC, "export", path, "--pytorch", work], check=True, capture_output=True)
            shape, classes = network_input(path)
            out = subprocess.run([sys.executable, "-c", TORCH_STEPS, work, str(THREADS), str(STEPS), str(BATCH),
                                  ",".join(map(str, shape)), str(classes)], check=True, capture_output=True, text=True)
            torch_side = json.loads(out.stdout.strip().splitlines()[-1])
        ours = bench["max_rss_bytes"]
        print(f"| {name} | {ours / MIB:.0f} MiB | {torch_side['peak'] / MIB:.0f} MiB | {ours / torch_side['peak']:.2f} "
              f"| {bench['planned_bytes'] / MIB:.0f} MiB | {(torch_side['peak'] - torch_side['before']) / MIB:.0f} MiB |",
              flush=True)


if __name__ == "__main__":
    main()
