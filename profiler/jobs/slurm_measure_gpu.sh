#!/usr/bin/env bash
# A Slurm job array that measures all 15625 NAS-Bench-201 cells on GPU nodes
# with the cuda backend, one shard per array task (one GPU each). Submit from
# the repository root after `cargo build --release -p latscope-profiler`:
#   PRECISION=fp16 BATCH=32 DEVICE=h100_fp16_b32 sbatch --array=0-15 profiler/jobs/slurm_measure_gpu.sh
# then join the shards:
#   target/release/profiler data merge measurements/nb201_${DEVICE}_shard_*.csv -o measurements/nb201_${DEVICE}.csv
# Name the device yourself (DEVICE) so every node writes the same name; each
# shard appends and resumes, so a preempted task is simply resubmitted, and
# each shard's <out>.runs.jsonl records which GPU, driver and cuDNN it used.
#SBATCH --job-name=latscope-measure-gpu
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=4
#SBATCH --time=02:00:00
#SBATCH --output=measurements/slurm-gpu-%A_%a.log
set -euo pipefail
SHARDS=${SLURM_ARRAY_TASK_COUNT:?run as a job array (sbatch --array=0-N)}
SHARD=${SLURM_ARRAY_TASK_ID:?run as a job array}
PRECISION=${PRECISION:-fp32}
BATCH=${BATCH:-32}
DEVICE=${DEVICE:?name the device, e.g. DEVICE=h100_${PRECISION}_b${BATCH}}
mkdir -p measurements
exec target/release/profiler measure --space nb201 --all --backend cuda \
  --shard "${SHARD}/${SHARDS}" --batch "${BATCH}" --precision "${PRECISION}" \
  --device "${DEVICE}" --quiet \
  --out "measurements/nb201_${DEVICE}_shard_${SHARD}.csv"
