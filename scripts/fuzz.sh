#!/usr/bin/env bash
# Fuzzes one reader of user files with libFuzzer for SECONDS seconds (or replays the regression
# inputs through every target with "check"):
#
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]   # TARGET: yaml safetensors npy masks idx cifar image
#   scripts/fuzz.sh check                                    # Fuzz/Regressions/TARGET/* through a normal build
#
# The fuzz build (.build-fuzz) uses Swift's -sanitize=fuzzer; Swift's own backtracer is turned off
# so that libFuzzer sees a crash as a crash. The corpus grows in .build-fuzz/corpus/TARGET from the
# seeds in Fuzz/Seeds/TARGET (and, for yaml, architectures/ and examples/); crashing inputs land in
# .build-fuzz/crashes/TARGET: copy each into Fuzz/Regressions/TARGET once it is fixed.
# FUZZING.md records the runs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "check" ]; then
    swift build --product dnalc-fuzz >/dev/null
    for dir in Fuzz/Regressions/*/; do
        target=$(basename "$dir")
        files=("$dir"*)
        [ -e "${files[0]}" ] || continue
        .build/debug/dnalc-fuzz "$target" "${files[@]}"
    done
    exit 0
fi
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer options] | check}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
shift 2
swift build -c release --scratch-path .build-fuzz --product dnalc-fuzz --sanitize fuzzer \
    -Xswiftc -DFUZZING -Xswiftc -parse-as-library >&2
corpus=.build-fuzz/corpus/$target crashes=.build-fuzz/crashes/$target
mkdir -p "$corpus" "$crashes"
seeds=()
[ -d "Fuzz/Seeds/$target" ] && seeds+=("Fuzz/Seeds/$target")
[ "$target" = yaml ] && seeds+=(architectures examples)
DNALC_FUZZ_TARGET=$target SWIFT_BACKTRACE=enable=no \
    .build-fuzz/release/dnalc-fuzz -max_total_time="$seconds" -max_len=65536 -timeout=30 -rss_limit_mb=4096 \
    -artifact_prefix="$crashes/" -print_final_stats=1 "$@" "$corpus" "${seeds[@]}"
