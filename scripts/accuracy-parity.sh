#!/usr/bin/env bash
# Accuracy of dnalc's native engine against PyTorch on one recipe: the same search run by both
# engines (`--engine torch` trains in PyTorch from the same initial weights, batches and
# schedule), for several seeds, with the pruned network's test top-1 and cost per run and the
# mean per engine. BENCHMARKS.md ("Accuracy against PyTorch") records its output.
#
#   scripts/accuracy-parity.sh PYTHON DATA_DIR OUT_DIR [SEEDS] [-- extra dnalc search arguments]
#
# PYTHON: an interpreter with torch; DATA_DIR: an IDX or CIFAR-10 folder (--data); SEEDS: how many
# seeds, default 3. The recipe defaults to issue 18's: vgg6-mnist, 3+2+3 epochs, batch 64, lr
# 0.1/0.01/0.01, weight decay 1e-4/0/1e-4, lambda 0.01, constant rates, no augmentation, PyTorch's
# initialisation; extra arguments after `--` override it.
set -euo pipefail
python=${1:?python with torch}; data=${2:?data directory}; out=${3:?output directory}; seeds=${4:-3}
shift $(( $# < 4 ? $# : 4 )); [ "${1:-}" = "--" ] && shift
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
dnalc=.build/release/dnalc
recipe=(architectures/vgg6-mnist.yaml --data "$data" --epochs 3,2,3 --batch 64 --lr 0.1,0.01,0.01 --lambda 0.01
        --set weight_decay=1e-4,0,1e-4 --set lr_schedule=constant --set augment=none --set init=pytorch "$@")
mkdir -p "$out"
for engine in native torch; do
  for seed in $(seq 1 "$seeds"); do
    run="$out/$engine-$seed"
    rm -rf "$run"
    extra=(); [ "$engine" = torch ] && extra=(--engine torch --python "$python")
    "$dnalc" search "${recipe[@]}" --seed "$seed" --threads 2 --out "$run" "${extra[@]}" >"$run.log" 2>&1 \
      || { echo "$engine seed $seed failed: see $run.log" >&2; exit 1; }
    "$python" - "$run/report.json" "$engine" "$seed" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]:6} seed {sys.argv[3]}: baseline {r['baseline']['top1']:.2f}%  pruned {r['pruned']['top1']:.2f}%  "
      f"best {r['best_top1']:.2f}%  {r['flops_ratio']:.2f}x fewer FLOPs")
PY
  done
done | tee "$out/summary.txt"
"$python" - "$out" "$seeds" <<'PY'
import json, sys, statistics
out, seeds = sys.argv[1], int(sys.argv[2])
for engine in ("native", "torch"):
    runs = [json.load(open(f"{out}/{engine}-{s}/report.json")) for s in range(1, seeds + 1)]
    top1 = [r["pruned"]["top1"] for r in runs]
    print(f"{engine:6} mean pruned top-1 {statistics.mean(top1):.2f}% (sd {statistics.pstdev(top1):.2f}), "
          f"mean {statistics.mean(r['flops_ratio'] for r in runs):.2f}x fewer FLOPs")
PY
