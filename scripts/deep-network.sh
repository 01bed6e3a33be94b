#!/usr/bin/env bash
# Writes a network of N gated conv layers (in residual pairs) to stdout, for timing how parse and
# analyze scale with network size (BENCHMARKS.md):  scripts/deep-network.sh 10000 > /tmp/deep.yaml
set -euo pipefail
layers=${1:?usage: deep-network.sh LAYERS}
cat <<HEAD
network: deep$layers
input: [3, 16, 16]
classes: 10
defaults:
  conv: {kernel: 3, bn: true, gate: true}
layers:
  - conv: {name: stem, out: 16, act: relu}
HEAD
for ((i = 0; i < (layers - 1) / 2; i++)); do
  echo "  - residual: {name: b$i, act: relu, branch: [conv: {name: c1, out: 16, act: relu}, conv: {name: c2, out: 16}]}"
done
cat <<TAIL
  - gap: {name: pool}
  - linear: {name: fc, out: \$classes}
TAIL
