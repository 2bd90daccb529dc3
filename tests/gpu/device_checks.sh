#!/usr/bin/env bash
# The GPU checks and measurement campaigns of the cuda backend, as one script
# for a machine with an NVIDIA GPU and no Rust toolchain. On the build
# machine: `make gpu-bundle` (target/gpu-bundle.tar.gz: the stripped release
# profiler and the measurement library's release test binary); carry it and
# the repository to the GPU machine, then, from the repository root:
#
#   OUT=results bash tests/gpu/device_checks.sh
#   OUT=results2 PREVIOUS=results/gpu_results.tar.gz bash tests/gpu/device_checks.sh
#
# The second form continues an earlier run: its datasets are unpacked first
# and every campaign resumes where it stopped (the selections are seeded and
# prefix-stable, so a longer run extends the same set of architectures).
#
# The whole script keeps within BUDGET_S seconds (default 480): each step
# runs under a time limit cut to what is left, and whatever was measured is
# packed at the end, also after a step was stopped. What comes back: $OUT/
# gpu_results.tar.gz (every dataset, its .runs.jsonl machine records, each
# step's log) and $OUT/summary.txt (what ran, how long, exit codes).
#
# Steps, cheapest and most telling first:
#   0. the machine: GPU, driver, PyTorch's CUDA and cuDNN, the NVIDIA wheels'
#      library folders (LATSCOPE_CUDA_LIB_DIRS is set from them); a smoke
#      campaign of 2 NB201 cells in fp32 and fp16;
#   1. the GPU unit tests, one at a time, with LATSCOPE_REQUIRE_GPU=1 (a
#      missing GPU fails instead of skipping): GPU vs CPU outputs in fp32/fp16
#      x NCHW/NHWC, eager and graph timing, out-of-memory recovery, NVRTC;
#   2. --verify (GPU output vs the CPU backend) on 20 NB201 cells in graph
#      mode, fp32 and fp16, batch 32;
#   3. the first N_TORCH cells at fp32 batch 32 (graph) and the same networks
#      in PyTorch with CUDA graphs (tests/reference/torch_latency.py);
#   4. --check 5 on N_CHECK cells at fp32 batch 32 (graph): run-to-run spread;
#   5. campaigns in graph timing: NB201 fp32 b32 (N_NB201 cells), fp16 b32,
#      fp32 b1, fp16 b256 (N_OTHER each), FBNet fp16 b32 (N_FBNET of HELP's
#      networks), and NB201 fp32 b32 in eager timing (N_EAGER) for the launch
#      overhead; each logs its rows per minute.
set -uo pipefail
OUT=${OUT:?set OUT to a folder for the results}
BUDGET_S=${BUDGET_S:-480}
N_TORCH=${N_TORCH:-50}
N_CHECK=${N_CHECK:-100}
N_NB201=${N_NB201:-2000}
N_OTHER=${N_OTHER:-500}
N_FBNET=${N_FBNET:-500}
N_EAGER=${N_EAGER:-200}
PREVIOUS=${PREVIOUS:-}
WORK=${WORK:-$(mktemp -d /tmp/latscope-gpu.XXXXXX)}
P=target/release/profiler
T=target/release/profiler-tests
NB=$WORK/nb201_cuda.csv
FB=$WORK/fbnet_cuda.csv
START=$(date +%s)
# Seconds kept back from every step's limit, for packing the results.
RESERVE=15

mkdir -p "$OUT" "$WORK"
say() { echo "$*" | tee -a "$WORK/summary.txt"; }
left() { echo $((BUDGET_S - ($(date +%s) - START))); }
rows() { # data rows of a CSV (its header not counted)
  if [ -f "$1" ]; then echo $(($(wc -l <"$1") - 1)); else echo 0; fi
}
pack() {
  tar czf "$OUT/gpu_results.tar.gz" -C "$WORK" . && cp "$WORK/summary.txt" "$OUT/summary.txt"
  echo "packed $(ls "$WORK" | wc -l) files into $OUT/gpu_results.tar.gz after $(($(date +%s) - START)) s"
}
trap pack EXIT

# step NAME CAP_S COMMAND...: runs COMMAND under a limit of CAP_S seconds
# or what is left of the budget, whichever is less; its output goes to
# $WORK/NAME.log and its last lines to the screen (status 3: not run). The results are packed
# after every step, so a run killed from outside (SIGKILL skips the EXIT
# trap) still returns what it had measured. With NEED_S set, the step runs
# only if that many seconds are left (for steps that keep nothing when
# stopped).
step() {
  local name=$1 cap=$2
  shift 2
  local limit=$(($(left) - RESERVE))
  if ((limit < ${NEED_S:-5})); then
    say "== $name: not run (${limit} s of the budget left)"
    return 3
  fi
  ((cap < limit)) && limit=$cap
  local began=$(date +%s)
  timeout -k 5 "$limit" "$@" >"$WORK/$name.log" 2>&1
  local rc=$?
  tail -n 15 "$WORK/$name.log"
  local note=""
  ((rc == 124 || rc == 137)) && note=" (stopped at its ${limit} s limit; rerun with PREVIOUS to continue)"
  say "== $name: exit $rc after $(($(date +%s) - began)) s$note"
  grep -h '^test result' "$WORK/$name.log" | tee -a "$WORK/summary.txt"
  pack >/dev/null
  return 0
}

# campaign NAME CAP_S DEVICE_FILE COMMAND...: a step that also reports the
# rows it added and its rate.
campaign() {
  local name=$1 cap=$2 file=$3
  shift 3
  local before began=$(date +%s)
  before=$(rows "$file")
  step "$name" "$cap" "$@" || return 0
  local added=$(($(rows "$file") - before)) secs=$(($(date +%s) - began))
  ((secs < 1)) && secs=1
  say "   $name: $added new rows in $secs s ($((added * 60 / secs)) per minute, set-up included)"
}

say "latscope GPU checks, $(date -u +%FT%TZ), budget ${BUDGET_S} s"
if [ -n "$PREVIOUS" ]; then
  # The datasets continue; the checks (smoke, verify) run again.
  tar xzf "$PREVIOUS" -C "$WORK" --exclude=summary.txt --exclude='./smoke.csv*' --exclude='./verify.csv*' &&
    say "continuing $PREVIOUS: $(ls "$WORK" | tr '\n' ' ')"
fi
# The carried bundle always wins over binaries an earlier call left here.
if [ -f target/gpu-bundle.tar.gz ]; then
  tar xzf target/gpu-bundle.tar.gz -C target
fi
[ -x "$P" ] && [ -x "$T" ] || {
  say "no $P / $T: run make gpu-bundle on the build machine and carry target/gpu-bundle.tar.gz"
  exit 1
}

# 0. The machine.
{
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,persistence_mode --format=csv
  python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version())"
  ldconfig -p | grep -E 'libcudnn.so|libcublas.so|libnvrtc.so|libcuda.so' | head
  uname -a
  ldd --version | head -1
} >"$WORK/machine.txt" 2>&1
cat "$WORK/machine.txt"
LIB_DIRS=$(python3 -c "import glob, os, nvidia; print(':'.join(sorted(d for p in nvidia.__path__ for d in glob.glob(os.path.join(p, '*', 'lib')))))" 2>/dev/null)
export LATSCOPE_CUDA_LIB_DIRS=${LATSCOPE_CUDA_LIB_DIRS:-$LIB_DIRS}
say "LATSCOPE_CUDA_LIB_DIRS=$LATSCOPE_CUDA_LIB_DIRS"
for prec in fp32 fp16; do
  step "smoke_$prec" 60 "$P" measure -s nb201 --random 2 --seed 5 --backend cuda --precision "$prec" \
    --batch 8 --device "smoke_$prec" --quiet -o "$WORK/smoke.csv"
done

# 1. The GPU unit tests, one at a time; a skip is a failure.
step unit_tests 150 env LATSCOPE_REQUIRE_GPU=1 "$T" measure::cuda::gpu_tests measure::cuda::nvrtc \
  --test-threads=1 --nocapture

# 2. GPU outputs against the CPU backend, in graph mode.
for prec in fp32 fp16; do
  step "verify_$prec" 60 "$P" measure -s nb201 --random 20 --seed 11 --backend cuda --precision "$prec" \
    --batch 32 --timing graph --verify --quiet --device "verify_${prec}_b32" -o "$WORK/verify.csv"
done

# 3. latscope and PyTorch on the same networks, both with CUDA graphs.
campaign nb201_fp32_b32_first 60 "$NB" "$P" measure -s nb201 --random "$N_TORCH" --seed 0 --backend cuda \
  --precision fp32 --batch 32 --timing graph --quiet -o "$NB"
DEV=$(awk -F, '$3 ~ /_fp32_b32$/ && $3 !~ /^(smoke|verify)/ {print $3; exit}' "$NB" 2>/dev/null)
if [ -n "$DEV" ] && [ ! -f "$WORK/torch_fp32_b32.csv" ]; then
  step export_ir 30 "$P" export-ir -s nb201 --from-dataset "$NB" -o "$WORK/nets.jsonl" --force
  # Written under another name and renamed when complete, so a stopped
  # comparison is run again next time.
  rm -f "$WORK/torch_fp32_b32.partial.csv"
  step torch_fp32_b32 90 env PYTHONUNBUFFERED=1 python3 tests/reference/torch_latency.py \
    --ir "$WORK/nets.jsonl" --limit "$N_TORCH" --batch 32 --precision fp32 --timing graph \
    --out "$WORK/torch_fp32_b32.partial.csv" --compare "$NB" --compare-device "$DEV"
  grep -q '^| [0-9]' "$WORK/torch_fp32_b32.log" &&
    mv "$WORK/torch_fp32_b32.partial.csv" "$WORK/torch_fp32_b32.csv" &&
    grep -A2 '^| architectures' "$WORK/torch_fp32_b32.log" >>"$WORK/summary.txt"
fi

# 4. Run-to-run spread (all rounds or nothing: not resumable, so sized to fit).
if [ ! -f "$WORK/check_fp32_b32.csv" ]; then
  NEED_S=100 step check_fp32_b32 120 "$P" measure -s nb201 --random "$N_CHECK" --seed 3 --backend cuda \
    --batch 32 --timing graph --check 5 --quiet -o "$WORK/check_fp32_b32.csv"
  grep -A8 '^run-to-run spread' "$WORK/check_fp32_b32.log" >>"$WORK/summary.txt"
fi

# 5. The campaigns, most wanted first; each resumes on the next run.
campaign nb201_fp32_b32 150 "$NB" "$P" measure -s nb201 --random "$N_NB201" --seed 0 --backend cuda \
  --precision fp32 --batch 32 --quiet -o "$NB"
campaign nb201_fp16_b32 60 "$NB" "$P" measure -s nb201 --random "$N_OTHER" --seed 0 --backend cuda \
  --precision fp16 --batch 32 --quiet -o "$NB"
campaign nb201_fp32_b1 60 "$NB" "$P" measure -s nb201 --random "$N_OTHER" --seed 0 --backend cuda \
  --precision fp32 --batch 1 --quiet -o "$NB"
campaign nb201_fp16_b256 60 "$NB" "$P" measure -s nb201 --random "$N_OTHER" --seed 0 --backend cuda \
  --precision fp16 --batch 256 --quiet -o "$NB"
campaign fbnet_fp16_b32 60 "$FB" "$P" measure -s fbnet --from-dataset static/data/fbnet_latency.csv.gz \
  --random "$N_FBNET" --seed 0 --backend cuda --precision fp16 --batch 32 --quiet -o "$FB"
campaign nb201_fp32_b32_eager 60 "$NB" "$P" measure -s nb201 --random "$N_EAGER" --seed 0 --backend cuda \
  --precision fp32 --batch 32 --timing eager --quiet -o "$NB"

say "rows per device:"
for f in "$NB" "$FB"; do
  [ -f "$f" ] && awk -F, 'NR > 1 {n[$3]++} END {for (d in n) print "  " d, n[d]}' "$f" | sort | tee -a "$WORK/summary.txt"
done
say "done after $(($(date +%s) - START)) s"
