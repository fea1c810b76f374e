#!/usr/bin/env bash
# Fingerprints what a gen binary trains, so that a refactor can be shown to change nothing:
#   scripts/same_outputs.sh GEN OUT_DIR      (then: diff -r OUT_A OUT_B)
# Trains every tiny config (on data/mnist at 16 px and data/shakespeare) and dcgan_mnist,
# vae_mnist and transformer_shakespeare_cpu for 200 steps, on one thread, and writes per run
# OUT_DIR/<name>.txt: the SHA-256 of the final sample file (PNG or text), of every tensor
# stored in the final checkpoint (weights, optimizer moments, EMA, noise bank, RNG states: the
# archive's data/ records; not the embedded config, which names the temporary folder), of a
# `gen sample` drawn from it with a fixed seed, and the metrics.jsonl lines without throughput
# fields, keys sorted.
# Needs data/mnist and data/shakespeare (scripts/get_data.sh).
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: scripts/same_outputs.sh GEN OUT_DIR" >&2; exit 2; }
gen=$(realpath "$1")
out=$(mkdir -p "$2" && cd "$2" && pwd)
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tensor_hash() {  # SHA-256 over the tensor records of a checkpoint (24-byte header, then a zip)
  python3 - "$1" <<'PY'
import hashlib, io, sys, zipfile
data = open(sys.argv[1], 'rb').read()
z = zipfile.ZipFile(io.BytesIO(data[24:]))
# The records' numbering follows LibTorch's optimizer-state maps, whose order changes from run
# to run; their contents do not: hash the sorted multiset of record contents.
digests = sorted(hashlib.sha256(z.read(n)).hexdigest() for n in z.namelist() if '/data/' in n)
print(hashlib.sha256(''.join(digests).encode()).hexdigest(), len(digests), 'tensors')
PY
}

run() {  # name config [--set ...]
  local name=$1 config=$2
  shift 2
  "$gen" train "$config" --set name="$name" --set out_dir="$work" --set runtime.threads=1 "$@" >"$work/$name.log" 2>&1 ||
    { echo "same_outputs: $name failed:"; tail -5 "$work/$name.log"; exit 1; }
  local dir=$work/$name last
  last=$(ls "$dir/checkpoints" | grep '^step_' | sort | tail -1)
  {
    local grid
    grid=$(ls "$dir/samples" | sort | tail -1)
    if [[ -n $grid ]]; then echo "samples: $grid $(sha256sum < "$dir/samples/$grid" | cut -c1-64)"; else echo "samples: none"; fi
    echo "checkpoint tensors: $last $(tensor_hash "$dir/checkpoints/$last")"
    if grep -q 'kind: transformer' "$dir/config.yaml"; then
      "$gen" sample --ckpt "$dir/checkpoints/$last" --seed 7 --tokens 200 --prompt "ROMEO:" --out "$work/$name.sample"
    elif ! grep -q 'kind: classifier' "$dir/config.yaml"; then
      "$gen" sample --ckpt "$dir/checkpoints/$last" --seed 7 --n 16 --out "$work/$name.sample.png"
      mv "$work/$name.sample.png" "$work/$name.sample"
    else
      echo "no samples" > "$work/$name.sample"
    fi 2>/dev/null
    echo "gen sample: $(sha256sum < "$work/$name.sample" | cut -c1-64)"
    sed -E 's/,"[a-z]+_per_s":[^,}]*//g' "$dir/metrics.jsonl" | python3 -c '
import json, sys
for line in sys.stdin:
    print(json.dumps(json.loads(line), sort_keys=True))' 
  } > "$out/$name.txt"
  echo "same_outputs: $name done"
}

for family in classifier dcgan transformer vae; do
  if [[ $family == transformer ]]; then root=data/shakespeare; else root=data/mnist; fi
  run "tiny_$family" "configs/tiny/$family.yaml" --set data.root=$root
done
run dcgan_mnist configs/dcgan_mnist.yaml --set train.steps=200 --set train.sample_every=100 --set train.ckpt_every=100
run vae_mnist configs/vae_mnist.yaml --set train.steps=200 --set train.sample_every=100 --set train.ckpt_every=100
run transformer_shakespeare_cpu configs/transformer_shakespeare_cpu.yaml --set train.steps=200 --set train.sample_every=100 \
  --set train.ckpt_every=100
