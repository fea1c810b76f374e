#!/usr/bin/env bash
# gen export read by the real PyTorch client: trains each family for a few steps (a nanoGPT-
# shaped Transformer, the 64 px pytorch/examples DCGAN, the pytorch/examples MLP VAE at its
# own 784-400-20 size, the conv VAE and the classifier), exports every checkpoint as .pt and
# .safetensors with a probe, and runs check_export.py on them with the real clients: torch.load
# (weights_only=True) and safetensors.safe_open, from the Python of GEN_CLIENT_PYTHON (.venv/).
# usage: export_python.sh GEN MAKE_TINY_MNIST SRC_DIR    (exit 77 = skipped: no torch/safetensors)
set -euo pipefail
gen=$1 make_data=$2 src=$3
source "$src/tests/interop/client_python.sh"
client_python torch,safetensors
tmp=$(mktemp -d)
[[ -n ${KEEP_TMP:-} ]] || trap 'rm -rf "$tmp"' EXIT
"$make_data" "$tmp/mnist" 64 28
mkdir -p "$tmp/text"
for i in $(seq 1 60); do echo "First Citizen: speak, speak. We are all resolved rather to die than to famish $i."; done \
  > "$tmp/text/input.txt"
cp "$tmp/text/input.txt" "$tmp/text.txt"
cd "$src"

train() {  # NAME CONFIG [--set ...]
  local name=$1 config=$2
  shift 2
  "$gen" train "$config" --set name="$name" --set out_dir="$tmp/runs" --set train.sample_every=0 \
    --set train.eval_every=0 "$@" > "$tmp/$name.train.log" 2>&1 || { cat "$tmp/$name.train.log"; exit 1; }
  local ckpt=$tmp/runs/$name/checkpoints/latest.pt
  "$gen" export --ckpt "$ckpt" --out "$tmp/$name.pt" --probe "$tmp/$name.probe.pt" > "$tmp/$name.export.log" 2>&1 &&
    "$gen" export --ckpt "$ckpt" --format safetensors --out "$tmp/$name.safetensors" >> "$tmp/$name.export.log" 2>&1 ||
    { cat "$tmp/$name.export.log"; exit 1; }
}

train transformer configs/tiny/transformer.yaml --set data.root="$tmp/text" --set model.bias=true
"$gen" eval --ckpt "$tmp/runs/transformer/checkpoints/latest.pt" --json "$tmp/transformer_eval.json" > /dev/null
train dcgan configs/tiny/dcgan.yaml --set data.root="$tmp/mnist" --set data.image_size=64 \
  --set model.g_channels=4 --set model.d_channels=4 --set train.steps=3 --set train.ema=0.9
train vae_mlp configs/vae_mlp_mnist.yaml --set data.root="$tmp/mnist" --set train.steps=3 --set train.log_every=1 \
  --set train.ckpt_every=3 --set runtime.threads=2 --set data.batch_size=16
train vae_conv configs/tiny/vae.yaml --set data.root="$tmp/mnist" --set model.binarize=none
train classifier configs/tiny/classifier.yaml --set data.root="$tmp/mnist"
"$python" "$src/tests/interop/check_export.py" "$tmp"
