#!/usr/bin/env bash
# TensorBoard event files of real runs read by TensorBoard itself: trains the tiny DCGAN
# (6 steps), resumes it from step 3 to step 8, and runs check_events_tensorboard.py (the pinned
# tensorboard package's EventAccumulator) on the run folder: every scalar equal to
# metrics.jsonl at its step, the images, the config text, no step twice. Then the same check
# must fail on a copy with one byte of an event record changed (TensorBoard's CRC check
# drops the rest of that file).
# usage: events_tensorboard.sh GEN MAKE_TINY_MNIST SRC_DIR   (77 = skipped: no tensorboard)
set -euo pipefail
gen=$1 make_data=$2 src=$3
source "$src/tests/interop/client_python.sh"
client_python tensorboard
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$make_data" "$tmp/data" 64 28
cd "$src"
args=(train configs/tiny/dcgan.yaml --set data.root="$tmp/data" --set out_dir="$tmp/runs")
"$gen" "${args[@]}" > "$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
"$gen" "${args[@]}" --set train.steps=8 --resume "$tmp/runs/dcgan/checkpoints/step_0000003.pt" > "$tmp/log" 2>&1 ||
  { cat "$tmp/log"; exit 1; }
# Logged at 2, 4, 6, 8 (4 and 6 twice trained, once recorded); grids at 3, 6 and 8; the config at 0 and 3.
expect=(scalar:loss_d=4 scalar:lr=4 image:samples=3 text:config=2)
"$python" "$src/tests/interop/check_events_tensorboard.py" "$tmp/runs/dcgan" "${expect[@]}"

cp -r "$tmp/runs/dcgan" "$tmp/broken"
file=$(ls "$tmp"/broken/events.out.tfevents.* | tail -1)
# A byte inside the second record's payload (the first is the file version, 12 + 8 + 4 bytes of framing).
python3 - "$file" <<'PY'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
first = int.from_bytes(data[0:8], "little") + 16
data[first + 12 + 4] ^= 0x01
open(path, "wb").write(bytes(data))
PY
if "$python" "$src/tests/interop/check_events_tensorboard.py" "$tmp/broken" "${expect[@]}" > "$tmp/broken.log" 2>&1; then
  cat "$tmp/broken.log"
  echo "FAILED: an event file with a changed byte passed the TensorBoard check"
  exit 1
fi
echo "a changed byte fails the check, as it should: $(grep -m1 -A1 FAILED "$tmp/broken.log" | tail -1)"
