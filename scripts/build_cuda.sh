#!/usr/bin/env bash
# Builds gen against the CUDA LibTorch inside a pip/conda PyTorch (2.x), for a GPU machine
# that has python3 + torch but not gen's other dependencies (see ../shared/gpu/README.md).
#
#   scripts/build_cuda.sh [DEPS]   DEPS: a prefix holding yaml-cpp, fmt, spdlog, OpenCV, CLI11
#                                  and Catch2, or the gen-deps-*.tar.xz bundle that holds one.
#                                  Without DEPS the system's packages are used.
# Env: BUILD_DIR (default build-cuda), CUDA_ARCH (default: the visible GPU's, else 90),
#      TARGETS (default "gen"), GLOO_INCLUDE (a folder holding gloo/*.h, e.g. a copy of
#      Debian's /usr/include/gloo: c10d's Gloo backend beside NCCL; the bundle has none).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-cuda}
deps=${1:-}

if [[ $deps == *.tar.xz ]]; then
  dest=$(dirname "$deps")
  [[ -d $dest/gen-deps ]] || tar xJf "$deps" -C "$dest"
  deps=$dest/gen-deps
fi
deps=${deps:+$(cd "$deps" && pwd)}

torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)') ||
  { echo "build_cuda: python3 cannot import torch; install a CUDA PyTorch first" >&2; exit 1; }
torch_lib=$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
arch=${CUDA_ARCH:-$( (nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null || true) | head -1 | tr -d .)}
arch=${arch:-90}

# The pip wheels keep cuDNN and the CUDA runtime under site-packages/nvidia/*/.
nv=$(python3 -c 'import os, nvidia; print(os.path.dirname(nvidia.__path__[0]) + "/nvidia")' 2>/dev/null || true)
extra=()
if [[ -n $nv && -d $nv ]]; then
  cudnn_inc=$(ls -d "$nv"/cudnn*/include 2>/dev/null | head -1 || true)
  cudnn_lib=$(ls "$nv"/cudnn*/lib/libcudnn.so* 2>/dev/null | head -1 || true)
  [[ -n $cudnn_inc ]] && extra+=(-DCUDNN_INCLUDE_PATH="$cudnn_inc")
  [[ -n $cudnn_lib ]] && extra+=(-DCUDNN_LIBRARY_PATH="$cudnn_lib")
  # c10d's NCCL backend (data-parallel on GPUs) needs nccl.h, from the nvidia-nccl wheel.
  nccl_inc=$(ls -d "$nv"/nccl*/include 2>/dev/null | head -1 || true)
  [[ -n $nccl_inc && -f $nccl_inc/nccl.h ]] && extra+=(-DNCCL_INCLUDE_DIR="$nccl_inc")
fi

[[ -n ${GLOO_INCLUDE:-} ]] && extra+=(-DGLOO_INCLUDE_DIR="$(cd "$GLOO_INCLUDE" && pwd)")

prefix="$torch_prefix"
[[ -n $deps ]] && prefix="$deps;$torch_prefix"
# One file per translation unit there: 16 cores do not need the batches, and the 2.x-only
# branches have never been compiled in a unity batch.
gen_opts=(-DGEN_BUILD_TESTS=OFF -DGEN_UNITY_BUILD=OFF)
[[ ${TARGETS:-gen} != gen ]] && gen_opts=(-DGEN_BUILD_TESTS=ON -DGEN_UNITY_BUILD=OFF)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CUDA_ARCHITECTURES="$arch" \
      -DCMAKE_BUILD_RPATH="$torch_lib" "${gen_opts[@]}" "${extra[@]}"
cmake --build "$build" -j "$(nproc)" --target ${TARGETS:-gen}
echo "build_cuda: built $build/gen against $(python3 -c 'import torch; print(torch.__version__)') (sm_$arch)"
