#!/usr/bin/env bash
# TensorBoard event files of real runs read by the official protobuf runtime: trains the tiny
# DCGAN (6 steps), resumes it from step 3 to step 8, and runs check_events.py (Debian's
# python3-protobuf) on the run folder: every record's CRCs, every Event parsed, the expected
# counts, no step twice.   usage: events_protobuf.sh GEN MAKE_TINY_MNIST SRC_DIR   (77 = skipped)
set -euo pipefail
gen=$1 make_data=$2 src=$3
python=/usr/bin/python3  # Debian's (a pyenv python3 may shadow it on PATH)
if ! "$python" -c 'import google.protobuf' 2>/dev/null; then
  if [[ -n ${CI:-} ]]; then echo "python3-protobuf missing: scripts/setup.sh installs it"; exit 1; fi
  echo "skipped: $python cannot import google.protobuf (apt-get install python3-protobuf)"; exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$make_data" "$tmp/data" 64 28
cd "$src"
args=(train configs/tiny/dcgan.yaml --set data.root="$tmp/data" --set out_dir="$tmp/runs")
"$gen" "${args[@]}" > "$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
"$gen" "${args[@]}" --set train.steps=8 --resume "$tmp/runs/dcgan/checkpoints/step_0000003.pt" > "$tmp/log" 2>&1 ||
  { cat "$tmp/log"; exit 1; }
# Logged at 2, 4, 6, 8 (4 and 6 twice trained, once recorded); grids at 3, 6 and 8; the config at 0 and 3.
"$python" "$src/tests/interop/check_events.py" "$tmp/runs/dcgan" scalar:loss_d=4 scalar:lr=4 image:samples=3 text:config=2
