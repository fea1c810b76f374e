#!/usr/bin/env bash
# The CUDA build of gen on a machine without a GPU (CI): it links libtorch_cuda and NCCL, says
# so in --version, starts without a GPU driver, and trains, resumes bit-exactly, samples and
# exports the tiny configs on the CPU that device auto picks.
# usage: smoke_on_cpu.sh GEN MAKE_TINY_MNIST SRC_DIR
set -euo pipefail
gen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") make_data=$2 src=$3
fail() { echo "cuda smoke: FAILED: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ldd "$gen" > "$tmp/ldd" || fail "ldd $gen"
for lib in libtorch_cuda.so libc10_cuda.so libnccl.so; do
  # libnccl comes in through libtorch_cuda; gen's own NEEDED entries name libtorch_cuda.
  grep -q "$lib" "$tmp/ldd" || fail "$gen does not load $lib"
done
grep -q "libtorch_cuda.so" <(readelf -d "$gen") || fail "libtorch_cuda.so is not among gen's NEEDED libraries"
! grep -q "libcuda.so" <(readelf -d "$gen") || fail "gen needs libcuda.so itself (the driver): it would not start without a GPU"
grep -E "libtorch_cuda|libnccl" "$tmp/ldd" | sed 's/^\s*/cuda smoke: linked: /'

"$gen" --version > "$tmp/version" || fail "gen --version"
sed 's/^/cuda smoke: /' "$tmp/version"
grep -q "^CUDA: runtime 1[0-9]" "$tmp/version" || fail "--version names no CUDA runtime"
grep -q "0 GPU(s) seen" "$tmp/version" || fail "--version should see no GPU here"
grep -q "data parallel (c10d): Gloo, NCCL\|data parallel (c10d): NCCL" "$tmp/version" || fail "--version names no NCCL backend"

"$make_data" "$tmp/mnist" 64 28
for i in $(seq 1 40); do echo "First Citizen: speak, speak. We are all resolved rather to die than to famish $i."; done \
  > "$tmp/input.txt"
cd "$src"
for config in dcgan vae transformer classifier; do
  root=$tmp/mnist
  [[ $config == transformer ]] && root=$tmp
  args=(configs/tiny/$config.yaml --set data.root="$root" --set train.steps=4 --set train.ckpt_every=2)
  "$gen" train "${args[@]}" --set out_dir="$tmp/runs" > "$tmp/$config.log" 2>&1 || { cat "$tmp/$config.log"; fail "gen train $config"; }
  grep -q "device: cpu" "$tmp/$config.log" || fail "$config did not pick the CPU"
  "$gen" verify-resume "${args[@]}" > "$tmp/$config.verify.log" 2>&1 ||
    { cat "$tmp/$config.verify.log"; fail "gen verify-resume $config"; }
  ckpt=$tmp/runs/$config/checkpoints/latest.pt  # the run is named after the config file
  "$gen" export --ckpt "$ckpt" --out "$tmp/$config.pt" > /dev/null 2>&1 || fail "gen export $config"
  if [[ $config != classifier ]]; then
    if [[ $config == transformer ]]; then
      "$gen" sample --ckpt "$ckpt" --prompt "First" --tokens 20 > /dev/null 2>&1 || fail "gen sample $config"
    else
      "$gen" sample --ckpt "$ckpt" --n 4 --out "$tmp/$config.png" > /dev/null 2>&1 || fail "gen sample $config"
    fi
  fi
  echo "cuda smoke: $config: train, verify-resume, export$([[ $config != classifier ]] && echo ", sample") on the CPU: ok"
done
echo "cuda smoke: ok"
