#!/usr/bin/env bash
# Builds gen against the CUDA LibTorch inside a pip/conda PyTorch (2.x), for a GPU machine
# that has python3 + torch but not gen's other dependencies (see ../shared/gpu/README.md).
#
#   scripts/build_cuda.sh [DEPS]   DEPS: a prefix holding yaml-cpp, fmt, spdlog, OpenCV, CLI11
#                                  and Catch2, or the gen-deps-*.tar.xz bundle that holds one.
#                                  Without DEPS the system's packages are used.
# Env: PYTHON (default python3: the Python whose torch is the CUDA build), BUILD_DIR (default
#      build-cuda), CUDA_ARCH (default: the visible GPU's, else 90), TARGETS (default "gen"),
#      GLOO_INCLUDE (a folder holding gloo/*.h, e.g. a copy of Debian's /usr/include/gloo:
#      c10d's Gloo backend beside NCCL; the bundle has none), UNITY (ON batches gen_core's
#      files, fewer and larger units: quicker on 2 cores; default OFF).
# Also used by CI on a machine without a GPU (scripts/test.sh): the build must compile and link.
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

python=${PYTHON:-python3}
# The LibTorch folder itself (lib/, include/, share/cmake/), not torch.utils.cmake_prefix_path:
# with that, CMake's find_library may take a system libtorch.so before the wheel's.
torch_prefix=$("$python" -c 'import torch, os; print(os.path.dirname(torch.__file__))') ||
  { echo "build_cuda: $python cannot import torch; install a CUDA PyTorch first" >&2; exit 1; }
torch_lib=$torch_prefix/lib
arch=${CUDA_ARCH:-$( (nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null || true) | head -1 | tr -d .)}
arch=${arch:-90}

# The pip wheels keep cuDNN and the CUDA runtime under site-packages/nvidia/*/.
nv=$("$python" -c 'import os, nvidia; print(os.path.dirname(nvidia.__path__[0]) + "/nvidia")' 2>/dev/null || true)
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

# A machine with nvcc but not the whole toolkit (here: nvcc 13 from pip's nvidia-cuda-nvcc, no
# cuBLAS/cuFFT/... development files) gets a toolkit assembled from nvcc's folder and the CUDA
# libraries of the pip wheels, so that LibTorch's CMake config (find_package(CUDA), CUDA::*
# targets) is satisfied. libcuda.so, the driver's, comes from a GPU driver; without one a stub
# with its name stands in at link time, and --as-needed keeps it out of gen (which calls no
# driver function: LibTorch loads the driver itself), so the binary also starts without a GPU.
nvcc_bin=$(command -v nvcc || true)
if [[ -n $nvcc_bin ]]; then
  nvcc_root=$(cd "$(dirname "$(readlink -f "$nvcc_bin")")/.." && pwd)
  # /usr/local/bin/nvcc may be a wrapper script: the toolkit is where the real nvcc lives.
  real_nvcc=$(sed -n 's/^exec \([^ ]*nvcc\) .*/\1/p' "$nvcc_bin" 2>/dev/null | head -1 || true)
  [[ -n $real_nvcc && -x $real_nvcc ]] && nvcc_root=$(cd "$(dirname "$real_nvcc")/.." && pwd)
  cu_lib=$(ls -d "$nv"/cu1*/lib 2>/dev/null | head -1 || true)
  if [[ ! -e $nvcc_root/lib64/libcublas.so && -n $cu_lib ]]; then
    view=$build/cuda-toolkit
    rm -rf "$view" && mkdir -p "$view/include" "$view/lib64/stubs"
    ln -s "$nvcc_root/bin" "$view/bin"
    [[ -d $nvcc_root/nvvm ]] && ln -s "$nvcc_root/nvvm" "$view/nvvm"
    mkdir -p "$view/targets/x86_64-linux"  # where nvcc -v says the libraries are
    ln -s ../../lib64 "$view/targets/x86_64-linux/lib"
    ln -s ../../include "$view/targets/x86_64-linux/include"
    for f in "$nvcc_root"/include/* "$(dirname "$cu_lib")"/include/*; do
      [[ -e $view/include/$(basename "$f") ]] || ln -s "$f" "$view/include/"
    done
    for f in "$nvcc_root"/lib64/* "$cu_lib"/*; do
      name=$(basename "$f")
      [[ -e $view/lib64/$name ]] || ln -s "$f" "$view/lib64/$name"
      base=${name%%.so*}.so  # libcublas.so.13 -> libcublas.so
      [[ $name == *.so.* && ! -e $view/lib64/$base ]] && ln -s "$f" "$view/lib64/$base"
    done
    if [[ ! -e /usr/lib/x86_64-linux-gnu/libcuda.so && ! -e $nvcc_root/lib64/stubs/libcuda.so ]]; then
      echo 'void gen_libcuda_stub(void) {}' > "$view/stub.c"
      cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$view/lib64/stubs/libcuda.so" "$view/stub.c"
    fi
    extra+=(-DCUDA_TOOLKIT_ROOT_DIR="$view" -DCUDAToolkit_ROOT="$view" -DCMAKE_CUDA_COMPILER="$view/bin/nvcc"
            -DCMAKE_EXE_LINKER_FLAGS="-Wl,--as-needed")
    echo "build_cuda: no complete CUDA toolkit beside $nvcc_root/bin/nvcc: assembled one in $view"
  fi
fi

[[ -n ${GLOO_INCLUDE:-} ]] && extra+=(-DGLOO_INCLUDE_DIR="$(cd "$GLOO_INCLUDE" && pwd)")

prefix="$torch_prefix"
[[ -n $deps ]] && prefix="$deps;$torch_prefix"
# One file per translation unit by default: 16 cores do not need the batches.
unity=${UNITY:-OFF}
gen_opts=(-DGEN_BUILD_TESTS=OFF -DGEN_UNITY_BUILD="$unity")
[[ ${TARGETS:-gen} != gen ]] && gen_opts=(-DGEN_BUILD_TESTS=ON -DGEN_UNITY_BUILD="$unity")
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CUDA_ARCHITECTURES="$arch" \
      -DTORCH_CUDA_ARCH_LIST="${arch:0:${#arch}-1}.${arch: -1}" \
      -DCMAKE_BUILD_RPATH="$torch_lib" "${gen_opts[@]}" "${extra[@]}"
cmake --build "$build" -j "$(nproc)" --target ${TARGETS:-gen}
echo "build_cuda: built $build/gen against $("$python" -c 'import torch; print(torch.__version__)') (sm_$arch)"
