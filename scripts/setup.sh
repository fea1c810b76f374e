#!/usr/bin/env bash
# One command from a fresh Debian 12 / Ubuntu machine to a built gen with MNIST in data/:
#   scripts/setup.sh [--no-data] [--no-build]
# Installs the Debian packages gen needs (only the missing ones; as root or through sudo),
# configures and builds build/gen, then fetches MNIST (GEN_DATA_MIRROR is honoured).
# Safe to run again: each step is skipped when already done. Installs nothing outside the
# repository but the packages.
set -euo pipefail
cd "$(dirname "$0")/.."

want_data=1 want_build=1
for arg in "$@"; do
  case $arg in
    --no-data) want_data= ;;
    --no-build) want_build= ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "setup: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

# libopenblas0-pthread: without it Debian's LibTorch uses the reference BLAS (~18x slower GEMMs).
# libgloo-dev: the headers of c10d's Gloo backend (data-parallel training on CPUs).
# python3-torch: torchrun, which the data-parallel tests launch gen with, and the Python client of the export test.
# nlohmann-json3-dev: JSON headers (safetensors exports).
# dpkg-dev: dpkg-shlibdeps, with which `cpack -G DEB` reads off the package's dependencies.
# python3-protobuf: the official protobuf runtime, which a test decodes TensorBoard event files with.
packages=(cmake g++ ninja-build ccache pkg-config zlib1g-dev dpkg-dev
          libtorch-dev libopenblas0-pthread libgloo-dev python3-torch python3-protobuf libopencv-dev libyaml-cpp-dev
          libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev catch2 dataset-fashion-mnist
          clang libclang-rt-14-dev curl ca-certificates)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then sudo=()
  elif command -v sudo >/dev/null; then sudo=(sudo)
  else echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; fi
  echo "setup: installing ${#missing[@]} package(s): ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#packages[@]} packages already installed"
fi

if [[ -n $want_build ]]; then
  echo "setup: configuring and building build/gen (Release, Ninja)"
  [[ -f build/CMakeCache.txt ]] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
  cmake --build build --target gen -j "$(nproc)"
fi

if [[ -n $want_data ]]; then
  echo "setup: fetching MNIST into data/mnist"
  scripts/get_data.sh mnist
fi
echo "setup: done. Next: build/gen train configs/dcgan_mnist.yaml"
