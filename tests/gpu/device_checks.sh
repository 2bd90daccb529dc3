#!/usr/bin/env bash
# The GPU checks of the cuda backend, as one script for a machine with an
# NVIDIA GPU and no Rust toolchain. Build both binaries on a build machine
# (`make gpu-bundle`: target/release/profiler and target/release/profiler-tests),
# carry them, then, on the GPU machine, from the repository root:
#   OUT=results bash tests/gpu/device_checks.sh
# Steps, cheapest first; every campaign appends and resumes, so a run cut off
# by a time limit continues where it stopped when started again:
#   1. the GPU unit tests (GPU vs CPU outputs, eager/graph timing, OOM);
#   2. --verify on 20 NB201 cells (fp32 and fp16 against the CPU backend);
#   3. --check: run-to-run spread of 100 cells at batch 32 (target <= 3 %);
#   4. campaigns: NB201 (N_NB201 cells, batch 1 and 32, fp32 and fp16) and
#      FBNet (N_FBNET archs of the shipped sample, batch 32, fp32 and fp16),
#      timing the throughput (target >= 100 NB201 archs/min at batch 32);
#   5. the PyTorch reference on the first N_TORCH cells of step 4.
set -uo pipefail
OUT=${OUT:?set OUT to a folder for the results}
N_NB201=${N_NB201:-1000}
N_FBNET=${N_FBNET:-500}
N_TORCH=${N_TORCH:-200}
P=target/release/profiler
T=target/release/profiler-tests
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,persistence_mode --format=csv | tee "$OUT/gpu.txt"

echo "== 1. GPU unit tests"
"$T" measure::cuda --nocapture 2>&1 | tee "$OUT/unit_tests.txt"

echo "== 2. verify against the CPU backend"
for prec in fp32 fp16; do
  "$P" measure -s nb201 --random 20 --seed 11 --backend cuda --precision "$prec" --batch 4 \
    --verify --runs 5 --quiet --device "verify_${prec}" -o "$OUT/verify.csv" 2>&1 | tee -a "$OUT/verify.txt"
done

echo "== 3. run-to-run spread"
"$P" measure -s nb201 --random 100 --seed 3 --backend cuda --batch 32 --check 5 --quiet \
  -o "$OUT/check_fp32_b32.csv" --force 2>&1 | tee "$OUT/check.txt"

echo "== 4. campaigns"
for prec in fp32 fp16; do
  for batch in 32 1; do
    start=$(date +%s)
    "$P" measure -s nb201 --random "$N_NB201" --seed 0 --backend cuda --precision "$prec" \
      --batch "$batch" --quiet -o "$OUT/nb201_gpu.csv" 2>&1 | tee -a "$OUT/campaigns.txt"
    echo "nb201 $prec b$batch: $(( $(date +%s) - start )) s for up to $N_NB201 archs" | tee -a "$OUT/campaigns.txt"
  done
  "$P" measure -s fbnet --from-dataset static/data/fbnet_latency.csv.gz --random "$N_FBNET" --seed 0 \
    --backend cuda --precision "$prec" --batch 32 --quiet -o "$OUT/fbnet_gpu.csv" 2>&1 | tee -a "$OUT/campaigns.txt"
done

echo "== 5. PyTorch reference"
"$P" export-ir -s nb201 --from-dataset "$OUT/nb201_gpu.csv" -o "$OUT/nets.jsonl" --force
dev=$(grep -o '"device":"[a-z0-9_]*fp32_b32"' "$OUT/nb201_gpu.csv.runs.jsonl" | head -1 | cut -d'"' -f4)
python3 tests/reference/torch_latency.py --ir "$OUT/nets.jsonl" --limit "$N_TORCH" --batch 32 \
  --precision fp32 --out "$OUT/torch_fp32_b32.csv" --compare "$OUT/nb201_gpu.csv" \
  --compare-device "$dev" 2>&1 | tee "$OUT/reference.txt"
