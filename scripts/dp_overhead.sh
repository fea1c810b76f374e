#!/usr/bin/env bash
# What data parallelism costs a step: CONFIG trained as a plain process and, in turn, ROUNDS
# times, as a data-parallel world of one (RANKS=1, the default: the environment torchrun
# --nproc-per-node 1 sets; its gradients go through the bucketed all-reduce, its metrics and
# stop votes through c10d) or as RANKS ranks of gen train --nproc-per-node on this machine
# (runtime.threads auto divides the CPUs among them). Prints the steps/s of each run's last log
# window and the ratio.
#
#   scripts/dp_overhead.sh [CONFIG] [STEPS] [ROUNDS]   (defaults: configs/transformer_shakespeare_cpu.yaml 300 2)
#   RANKS=2 scripts/dp_overhead.sh configs/tiny/dcgan.yaml 60 3          (the tiny DCGAN, 2 ranks)
#   RANKS=2 EXTRA="--set model.sync_bn=false" scripts/dp_overhead.sh configs/tiny/dcgan.yaml 60 3
# Env: GEN (default build/gen), DEVICE (default auto), BACKEND (runtime.dist_backend, default auto:
#      NCCL on CUDA, Gloo on the CPU), RANKS, EXTRA (more flags for both runs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gen=${GEN:-$root/build/gen}
config=${1:-configs/transformer_shakespeare_cpu.yaml}
steps=${2:-300}
rounds=${3:-2}
cd "$root"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
common=(--set train.steps="$steps" --set train.eval_every=0 --set train.sample_every=0 --set train.ckpt_every=0
        --set train.log_every=$((steps / 2)) --set device="${DEVICE:-auto}" --set runtime.dist_backend="${BACKEND:-auto}"
        ${EXTRA:-})
ranks=${RANKS:-1}
failed() {  # LOG: a run failed; say why
  echo "dp_overhead: a run failed; the end of $1:" >&2; tail -n 3 "$1" >&2; exit 1
}
rate() {  # the steps/s of the last line of a run's metrics.jsonl
  tail -n 1 "$1"/*/metrics.jsonl | sed -n 's/.*"steps_per_s":\([0-9.e+-]*\).*/\1/p'
}
for r in $(seq 1 "$rounds"); do
  "$gen" train "$config" "${common[@]}" --set out_dir="$tmp/plain$r" > "$tmp/plain$r.log" 2>&1 || failed "$tmp/plain$r.log"
  if [[ $ranks == 1 ]]; then
    MASTER_ADDR=127.0.0.1 MASTER_PORT=$((29400 + r)) WORLD_SIZE=1 RANK=0 LOCAL_RANK=0 LOCAL_WORLD_SIZE=1 \
      "$gen" train "$config" "${common[@]}" --set out_dir="$tmp/world$r" > "$tmp/world$r.log" 2>&1 || failed "$tmp/world$r.log"
    what="c10d world of one"
  else
    "$gen" train "$config" "${common[@]}" --set out_dir="$tmp/world$r" --set runtime.threads=auto \
      --nproc-per-node "$ranks" > "$tmp/world$r.log" 2>&1 || failed "$tmp/world$r.log"
    what="$ranks ranks"
  fi
  grep -q "rank 0 of $ranks" "$tmp/world$r.log" || { echo "dp_overhead: the ranks did not join c10d" >&2; exit 1; }
  plain=$(rate "$tmp/plain$r"); world=$(rate "$tmp/world$r")
  echo "round $r: plain $plain steps/s, $what $world steps/s ($(grep -o '[A-Za-z]* over 127' "$tmp/world$r.log" | head -1 | cut -d' ' -f1)): ratio $(python3 -c "print(f'{$world/$plain:.3f}')")"
done
