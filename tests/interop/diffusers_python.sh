#!/usr/bin/env bash
# gen export --format diffusers read by diffusers itself (GEN_CLIENT_PYTHON's .venv/, pinned in
# requirements-dev.txt): trains the tiny diffusion config four ways (eps with DDIM, v on the
# cosine schedule with DDPM, v with classes, flow with Euler and a time shift of 3), exports
# each as a diffusers folder with a probe, draws 256 images of each with `gen sample --format
# files`, and runs
# check_diffusers.py: from_pretrained loads every file with no missing or unexpected key, the
# U-Net returns gen's output, and diffusers' pipelines and schedulers draw gen's images from
# the same seed; a broken folder fails. Then gen's feature network scores DDIMPipeline's images
# (`gen eval --images`): their FID against gen's own samples of the same seed must be at most
# the floor (gen's samples of another seed against them), and the broken scheduler's above it.
# usage: diffusers_python.sh GEN MAKE_TINY_MNIST SRC_DIR    (exit 77 = skipped: no diffusers)
set -euo pipefail
gen=$1 make_data=$2 src=$3
source "$src/tests/interop/client_python.sh"
client_python torch,safetensors,diffusers,PIL
tmp=$(mktemp -d)
[[ -n ${KEEP_TMP:-} ]] || trap 'rm -rf "$tmp"' EXIT
"$make_data" "$tmp/mnist" 64 28
cd "$src"

model() {  # NAME [--set ...]: train, export as a diffusers folder with a probe, sample 256 images
  local name=$1
  shift
  "$gen" train configs/tiny/diffusion.yaml --set name="$name" --set out_dir="$tmp/runs" --set data.root="$tmp/mnist" \
    --set train.sample_every=0 --set train.eval_every=0 "$@" > "$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log"; exit 1; }
  local ckpt=$tmp/runs/$name/checkpoints/latest.pt
  "$gen" export --ckpt "$ckpt" --format diffusers --out "$tmp/$name" --probe "$tmp/$name.probe.pt" >> "$tmp/$name.log" 2>&1 &&
    "$gen" sample --ckpt "$ckpt" --format files --n 256 --seed 11 --out "$tmp/$name.images" >> "$tmp/$name.log" 2>&1 ||
    { cat "$tmp/$name.log"; exit 1; }
}

model eps --set model.conditional=false --set model.sampler=ddim
model v_ddpm --set model.objective=v --set model.schedule=cosine --set model.sampler=ddpm --set model.conditional=false
model cond --set model.objective=v --set model.conditional=true
model flow --set model.objective=flow --set model.conditional=false --set model.sample_steps=4 --set model.sample_shift=3
"$python" "$src/tests/interop/check_diffusers.py" "$tmp" 11

# gen's feature network on DDIMPipeline's images (written by check_diffusers.py as PNGs).
"$gen" train configs/tiny/classifier.yaml --set out_dir="$tmp/runs" --set data.root="$tmp/mnist" \
  --set train.steps=200 --set train.eval_every=0 > "$tmp/classifier.log" 2>&1 || { cat "$tmp/classifier.log"; exit 1; }
"$gen" sample --ckpt "$tmp/runs/eps/checkpoints/latest.pt" --format files --n 256 --seed 12 --out "$tmp/eps.images12" \
  > "$tmp/eps12.log" 2>&1 || { cat "$tmp/eps12.log"; exit 1; }
fid() {  # IMAGES: FID of the folder against gen's eps samples of seed 11
  "$gen" eval --images "$1" --reference "$tmp/eps.images" --features "$tmp/runs/classifier/checkpoints/latest.pt" \
    --json "$tmp/fid.json" > "$tmp/fid.log" 2>&1 || { cat "$tmp/fid.log"; exit 1; }
  "$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["figures"]["fid_mnist_cnn"])' "$tmp/fid.json"
}
pipeline=$(fid "$tmp/eps.diffusers_images")
floor=$(fid "$tmp/eps.images12")
broken=$(fid "$tmp/eps_v_prediction.diffusers_images")
echo "FID (gen's feature network) against gen sample --seed 11: DDIMPipeline, same seed: $pipeline;" \
  "gen sample --seed 12 (the floor): $floor; DDIMPipeline with a v_prediction scheduler: $broken"
"$python" -c 'import sys; p, f, b = map(float, sys.argv[1:]); sys.exit(0 if p <= f < b else 1)' "$pipeline" "$floor" "$broken" ||
  { echo "FAIL: expected DDIMPipeline's FID <= the floor < the broken scheduler's"; exit 1; }
