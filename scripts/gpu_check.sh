#!/usr/bin/env bash
# Checks gen's CUDA path end to end on a GPU machine: every family's tiny config trains, samples
# and resumes bit for bit on the GPU (gen verify-resume), also under runtime.precision bf16 and
# fp16, an export is written, and an image folder loads.
#
#   scripts/gpu_check.sh [GEN]     GEN: the binary (default build-cuda/gen, built by
#                                  scripts/build_cuda.sh). Needs data/mnist and data/shakespeare
#                                  (scripts/get_data.sh). DEVICE=cpu runs the same checks on the CPU.
# Prints one line per check and exits non-zero when any failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gen=${1:-$root/build-cuda/gen}
device=${DEVICE:-cuda}
cd "$root"
[[ -x $gen ]] || { echo "gpu_check: $gen not found (run scripts/build_cuda.sh)" >&2; exit 2; }
for d in data/mnist data/shakespeare; do
  [[ -d $d ]] || { echo "gpu_check: $d missing (scripts/get_data.sh ${d#data/})" >&2; exit 2; }
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
failed=0
check() {  # NAME COMMAND...: runs COMMAND, logs its output, prints ok/FAILED
  local name=$1; shift
  if "$@" > "$tmp/log" 2>&1; then echo "ok      $name"
  else echo "FAILED  $name (exit $?):"; tail -5 "$tmp/log" | sed 's/^/        /'; failed=1; fi
}
on=(--set device="$device" --set out_dir="$tmp/runs")
for f in dcgan vae transformer classifier; do
  check "train configs/tiny/$f.yaml on $device" "$gen" train configs/tiny/$f.yaml "${on[@]}"
done
check "sample dcgan" "$gen" sample --ckpt "$tmp/runs/dcgan/checkpoints/latest.pt" --device "$device" --out "$tmp/d.png"
check "sample vae --mode recon" "$gen" sample --ckpt "$tmp/runs/vae/checkpoints/latest.pt" --mode recon --device "$device" --out "$tmp/v.png"
check "sample transformer" "$gen" sample --ckpt "$tmp/runs/transformer/checkpoints/latest.pt" --prompt "ROMEO:" --tokens 40 --device "$device" --out "$tmp/t.txt"
check "eval vae (ELBO, IWAE)" "$gen" eval --ckpt "$tmp/runs/vae/checkpoints/latest.pt" --device "$device" --skip-images --iw-samples 10 --iw-examples 100
check "eval transformer" "$gen" eval --ckpt "$tmp/runs/transformer/checkpoints/latest.pt" --device "$device"
for f in dcgan vae transformer classifier; do
  check "verify-resume configs/tiny/$f.yaml" "$gen" verify-resume configs/tiny/$f.yaml --set device="$device" --steps 6
done
check "verify-resume transformer, dropout 0.2 (the GPU generator's state)" \
  "$gen" verify-resume configs/tiny/transformer.yaml --set device="$device" --set model.dropout=0.2 --steps 8
check "verify-resume dcgan, R1 + EMA" \
  "$gen" verify-resume configs/tiny/dcgan.yaml --set device="$device" --set model.r1=1 --set train.ema=0.99 --steps 8
precisions=(bf16)
[[ $device == cuda ]] && precisions+=(fp16)  # LibTorch's CPU autocast has bfloat16 only
for p in "${precisions[@]}"; do
  check "train transformer, runtime.precision $p" "$gen" train configs/tiny/transformer.yaml "${on[@]}" \
    --set name=transformer_$p --set runtime.precision=$p
  check "verify-resume dcgan, R1, runtime.precision $p" "$gen" verify-resume configs/tiny/dcgan.yaml \
    --set device="$device" --set model.r1=1 --set runtime.precision=$p --steps 8
done
check "export transformer (.safetensors)" "$gen" export --ckpt "$tmp/runs/transformer/checkpoints/latest.pt" \
  --out "$tmp/t.safetensors"
mkdir -p "$tmp/imgs/a/sub" "$tmp/imgs/b"
for i in 1 2 3; do cp "$tmp/d.png" "$tmp/imgs/a/$i.png"; cp "$tmp/d.png" "$tmp/imgs/b/$i.png"; done
cp "$tmp/d.png" "$tmp/imgs/a/sub/4.png"
check "image_folder data (2 classes, nested)" "$gen" train configs/tiny/dcgan.yaml "${on[@]}" --set name=folder \
  --set data.kind=image_folder --set data.root="$tmp/imgs" --set data.channels=3 --set model.conditional=true \
  --set data.batch_size=4
exit $failed
