#!/usr/bin/env bash
# Checks gen's CUDA path end to end on a GPU machine: every family's tiny config trains, samples
# and resumes bit for bit on the GPU (gen verify-resume), also under runtime.precision bf16 and
# fp16, an export is written, an image folder loads, and a data-parallel world of one over NCCL
# (and 2 ranks over Gloo, when the build has it) trains what one process trains.
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
# Data-parallel: a world of one through c10d (NCCL on CUDA, Gloo on the CPU) trains what a
# plain process trains; 2 ranks share the one device over Gloo when this build has Gloo.
backend=nccl; [[ $device == cpu ]] && backend=gloo
world1() {  # the environment torchrun --nproc-per-node 1 sets
  MASTER_ADDR=127.0.0.1 MASTER_PORT=29461 WORLD_SIZE=1 RANK=0 LOCAL_RANK=0 LOCAL_WORLD_SIZE=1 "$@"
}
dp=(configs/tiny/transformer.yaml --set device="$device" --set train.steps=8 --set train.log_every=1)
same_losses() {  # RUN_A RUN_B: metrics.jsonl agree to 1e-5 relative (timings aside)
  python3 - "$1" "$2" <<'PY'
import json, sys
def figures(path):
    rows = [json.loads(l) for l in open(path)]
    return [v for r in rows for k, v in sorted(r.items()) if not k.endswith("_per_s")]
a, b = (figures(p + "/transformer/metrics.jsonl") for p in sys.argv[1:3])
sys.exit(0 if len(a) == len(b) > 8 and all(abs(x - y) <= 1e-5 * abs(x) + 1e-9 for x, y in zip(a, b)) else 1)
PY
}
"$gen" train "${dp[@]}" --set out_dir="$tmp/dp_plain" > "$tmp/dp_plain.log" 2>&1
check "world of one over $backend joins and trains" bash -c "$(declare -f world1); world1 '$gen' train ${dp[*]} \
  --set runtime.dist_backend=$backend --set out_dir='$tmp/dp_world1' > '$tmp/dp_world1.log' 2>&1 &&
  grep -q 'rank 0 of 1' '$tmp/dp_world1.log'"
check "world of one over $backend: the plain process's losses" same_losses "$tmp/dp_plain" "$tmp/dp_world1"
if "$gen" train "${dp[@]}" --nproc-per-node 2 --set runtime.dist_backend=gloo --set out_dir="$tmp/dp_two" \
    > "$tmp/dp_two.log" 2>&1; then
  echo "ok      2 ranks on one $device over Gloo"
  check "2 ranks over Gloo: the plain process's losses" same_losses "$tmp/dp_plain" "$tmp/dp_two"
elif grep -q "without c10d's Gloo backend" "$tmp/dp_two.log"; then
  echo "skipped 2 ranks on one $device over Gloo (this build has no Gloo headers)"
else
  echo "FAILED  2 ranks on one $device over Gloo:"; tail -5 "$tmp/dp_two.log" | sed 's/^/        /'; failed=1
fi
exit $failed
