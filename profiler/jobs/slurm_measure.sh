#!/usr/bin/env bash
# A Slurm job array that measures all 15625 NAS-Bench-201 cells, one shard
# per array task. Submit from the repository root after `cargo build
# --release -p latscope-profiler`:
#   sbatch --array=0-15 profiler/jobs/slurm_measure.sh
# then join the shards:
#   target/release/profiler data merge measurements/nb201_shard_*.csv -o measurements/nb201.csv
# Each shard appends and resumes, so a preempted task is simply resubmitted.
#SBATCH --job-name=latscope-measure
#SBATCH --cpus-per-task=4
#SBATCH --time=04:00:00
#SBATCH --output=measurements/slurm-%A_%a.log
set -euo pipefail
SHARDS=${SLURM_ARRAY_TASK_COUNT:?run as a job array (sbatch --array=0-N)}
SHARD=${SLURM_ARRAY_TASK_ID:?run as a job array}
DEVICE=${DEVICE:-cpu_fp32_b1}
mkdir -p measurements
exec target/release/profiler measure --space nb201 --all \
  --shard "${SHARD}/${SHARDS}" --batch 1 --threads "${SLURM_CPUS_PER_TASK:-1}" \
  --device "${DEVICE}" --quiet \
  --out "measurements/nb201_shard_${SHARD}.csv"
