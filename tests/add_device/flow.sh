#!/usr/bin/env bash
# The README's add-a-device flow, run on this machine's CPU with the release
# profiler, as a new user would: ask which 10 cells to measure, measure
# them, adapt the shipped NB201 predictor from them, and check the adapted
# device on 120 other cells measured at random (`adapt --check`: its ρ
# beside the zero-shot MACs ranking, its typical error beside the stated
# one, its smallest prediction beside the smallest measured latency).
#
# Usage: bash tests/add_device/flow.sh [results file]   (`make add-device-run`
# writes static/results/add_device_this_cpu.txt)
set -euo pipefail
cd "$(dirname "$0")/../.."
results=${1:-static/results/add_device_this_cpu.txt}
profiler=target/release/profiler
predictor=static/predictors/nb201.onnx
work=target/add-device
rm -rf "$work" && mkdir -p "$work"

run() {
  echo "\$ ${*/#$profiler/profiler}"
  "$@"
}

{
  echo "# add a device: this machine's CPU ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs),"\
    "$(nproc) cores), release profiler, $(date -u +%Y-%m-%d)"
  run "$profiler" adapt --predictor "$predictor" --suggest 10 --suggest-out "$work/next.txt"
  run "$profiler" measure -s nb201 --list "$work/next.txt" -o "$work/mine.csv"
  run "$profiler" measure -s nb201 --random 120 --seed 7 -o "$work/held_out.csv"
  run "$profiler" adapt --predictor "$predictor" --samples "$work/mine.csv" --name this_cpu \
    -o "$work/this_cpu_pred.csv" --check "$work/held_out.csv"
} 2>&1 | tee "$results.partial"
mv "$results.partial" "$results"
