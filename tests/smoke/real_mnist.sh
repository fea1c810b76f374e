#!/usr/bin/env bash
# 30 steps of the main config on real MNIST (data/mnist, from scripts/get_data.sh), then a
# sample from its checkpoint. Exit 77 (ctest: skipped) when the data is not there.
set -euo pipefail
gen=$1 src=$2
[[ -f $src/data/mnist/train-images-idx3-ubyte.gz ]] || { echo "data/mnist missing: skipped"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$src"
"$gen" train configs/dcgan_mnist.yaml --set train.steps=30 --set train.log_every=10 --set out_dir="$out"
test -f "$out/dcgan_mnist/samples/step_0000030.png"
test "$(wc -l < "$out/dcgan_mnist/metrics.jsonl")" -eq 3
"$gen" sample --ckpt "$out/dcgan_mnist/checkpoints/latest.pt" --n 16 --out "$out/s.png"
test -s "$out/s.png"
echo "real MNIST: 30 steps, grid and sample written"
