#!/usr/bin/env bash
# What joining c10d costs one process: CONFIG trained as a plain process and as a data-parallel
# world of one (the environment torchrun --nproc-per-node 1 sets: its gradients go through the
# bucketed all-reduce, its metrics and stop votes through c10d), in turn, ROUNDS times.
# Prints the steps/s of each run's last log window and the ratio.
#
#   scripts/dp_overhead.sh [CONFIG] [STEPS] [ROUNDS]   (defaults: configs/transformer_shakespeare_cpu.yaml 300 2)
# Env: GEN (default build/gen), DEVICE (default auto), BACKEND (runtime.dist_backend, default auto:
#      NCCL on CUDA, Gloo on the CPU).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gen=${GEN:-$root/build/gen}
config=${1:-configs/transformer_shakespeare_cpu.yaml}
steps=${2:-300}
rounds=${3:-2}
cd "$root"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
common=(--set train.steps="$steps" --set train.eval_every=0 --set train.sample_every=0 --set train.ckpt_every=0
        --set train.log_every=$((steps / 2)) --set device="${DEVICE:-auto}" --set runtime.dist_backend="${BACKEND:-auto}")
rate() {  # the steps/s of the last line of a run's metrics.jsonl
  tail -n 1 "$1"/*/metrics.jsonl | sed -n 's/.*"steps_per_s":\([0-9.e+-]*\).*/\1/p'
}
for r in $(seq 1 "$rounds"); do
  "$gen" train "$config" "${common[@]}" --set out_dir="$tmp/plain$r" > "$tmp/plain$r.log" 2>&1
  MASTER_ADDR=127.0.0.1 MASTER_PORT=$((29400 + r)) WORLD_SIZE=1 RANK=0 LOCAL_RANK=0 LOCAL_WORLD_SIZE=1 \
    "$gen" train "$config" "${common[@]}" --set out_dir="$tmp/world$r" > "$tmp/world$r.log" 2>&1
  grep -q "rank 0 of 1" "$tmp/world$r.log" || { echo "dp_overhead: the world of one did not join c10d" >&2; exit 1; }
  plain=$(rate "$tmp/plain$r"); world=$(rate "$tmp/world$r")
  echo "round $r: plain $plain steps/s, c10d world of one $world steps/s ($(grep -o '[A-Za-z]* over 127' "$tmp/world$r.log" | cut -d' ' -f1)): ratio $(python3 -c "print(f'{$world/$plain:.3f}')")"
done
