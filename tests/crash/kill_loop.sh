#!/usr/bin/env bash
# Crash test: trains the tiny DCGAN with a checkpoint every step, SIGKILLs it at random
# moments KILLS times, and after each kill checks that the newest checkpoint loads
# (gen sample) before resuming again with --resume auto; at the end the run must resume to
# completion. usage: kill_loop.sh GEN MAKE_TINY_MNIST SRC_DIR [KILLS]  (default 50, 6 under CI)
set -euo pipefail
gen=$1 make_data=$2 src=$3
kills=${4:-$([[ -n ${CI:-} ]] && echo 6 || echo 50)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$make_data" "$tmp/data" 64 28
cd "$src"
args=(train configs/tiny/dcgan.yaml --resume auto --set data.root="$tmp/data" --set out_dir="$tmp/runs"
      --set train.steps=100000 --set train.ckpt_every=1 --set train.sample_every=0 --set train.log_every=50)
ckpts=$tmp/runs/dcgan/checkpoints
loaded=0 empty=0
for ((i = 1; i <= kills; i++)); do
  "$gen" "${args[@]}" > "$tmp/train.log" 2>&1 &
  pid=$!
  # Until a first checkpoint exists, let the run get that far (start-up takes seconds on a
  # loaded machine); after that, kills land anywhere, start-up included.
  for ((w = 0; w < 600; w++)); do
    compgen -G "$ckpts/step_*.pt" > /dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.2f", 0.8 + rand() * 1.7 }')"
  kill -9 "$pid" 2>/dev/null || { echo "kill $i: training exited by itself:"; cat "$tmp/train.log"; exit 1; }
  wait "$pid" 2>/dev/null || true
  latest=$(ls "$ckpts"/step_*.pt 2>/dev/null | sort | tail -n 1 || true)
  if [[ -z $latest ]]; then empty=$((empty + 1)); continue; fi
  if ! "$gen" sample --ckpt "$latest" --n 4 --out "$tmp/s.png" > "$tmp/sample.log" 2>&1; then
    echo "kill $i: newest checkpoint $latest does not load:"; cat "$tmp/sample.log"; exit 1
  fi
  loaded=$((loaded + 1))
done
last=$(basename "$(ls "$ckpts"/step_*.pt | sort | tail -n 1)" .pt)
target=$(( 10#${last#step_} + 5 ))
"$gen" "${args[@]}" --set train.steps="$target" > "$tmp/final.log" 2>&1 || { cat "$tmp/final.log"; exit 1; }
[[ $(readlink "$ckpts/latest.pt") == $(printf 'step_%07d.pt' "$target") ]] || { echo "final resume did not reach step $target"; exit 1; }
echo "crash test: $kills kills, $loaded newest checkpoints loaded, $empty kills before the first checkpoint, resumed to step $target"
