#!/usr/bin/env bash
# One command from a fresh Debian 12 / Ubuntu machine to a built gen with MNIST in data/:
#   scripts/setup.sh [--libtorch pip|debian] [--cuda] [--no-data] [--no-build]
# Installs the Debian packages gen needs (only the missing ones; as root or through sudo),
# makes .venv/ with the pinned Python packages of requirements-dev.txt (torch 2.13.0 among them:
# its LibTorch is what gen builds against by default), configures and builds build/gen, then
# fetches MNIST (GEN_DATA_MIRROR is honoured).
#   --libtorch debian  build/ against Debian's libtorch-dev 1.13 instead (the fallback)
#   --cuda             also make .venv-cuda/ with the CUDA wheel (torch 2.14.1, ~5.5 GB), which
#                      scripts/build_cuda.sh builds build-cuda/ against (CI does; no GPU needed)
# Safe to run again: each step is skipped when already done. Installs nothing outside the
# repository but the packages.
set -euo pipefail
cd "$(dirname "$0")/.."

want_data=1 want_build=1 want_cuda= libtorch=pip
while (($#)); do
  case $1 in
    --no-data) want_data= ;;
    --no-build) want_build= ;;
    --cuda) want_cuda=1 ;;
    --libtorch) (($# >= 2)) || { echo "setup: --libtorch takes pip or debian" >&2; exit 2; }; libtorch=$2; shift ;;
    --libtorch=*) libtorch=${1#*=} ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "setup: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $libtorch == pip || $libtorch == debian ]] ||
  { echo "setup: --libtorch takes pip or debian, not '$libtorch'" >&2; exit 2; }

# libopenblas0-pthread: without it Debian's LibTorch uses the reference BLAS (~18x slower GEMMs).
# libgloo-dev: the headers of c10d's Gloo backend (data-parallel training on CPUs); the pip
#   wheels have Gloo compiled in but ship no Gloo headers.
# libtorch-dev, python3-torch: the Debian LibTorch 1.13 fallback (--libtorch debian, CI's second
#   build) and the torchrun of that build's tests.
# python3-venv: .venv/ for the pip LibTorch and the tests' Python clients.
# nlohmann-json3-dev: JSON headers (safetensors exports).
# dpkg-dev: dpkg-shlibdeps, with which `cpack -G DEB` reads off the package's dependencies.
packages=(cmake g++ ninja-build ccache pkg-config zlib1g-dev dpkg-dev python3-venv
          libtorch-dev libopenblas0-pthread libgloo-dev python3-torch libopencv-dev libyaml-cpp-dev
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

# A virtual environment with the pinned packages; pip takes torch from the wheels on this
# machine's disk when it has them (see README, "Building against another LibTorch").
make_venv() {  # DIR REQUIREMENTS...
  local dir=$1
  shift
  [[ -x $dir/bin/python3 ]] || python3 -m venv "$dir"
  if ! "$dir/bin/python3" -m pip install -q --disable-pip-version-check "$@" > "$dir/pip-install.log" 2>&1; then
    grep -v "is ignored: it is neither" "$dir/pip-install.log" >&2
    echo "setup: pip install $* into $dir failed (log above)" >&2
    exit 1
  fi
}
echo "setup: Python packages of requirements-dev.txt into .venv/"
make_venv .venv -r requirements-dev.txt
if [[ -n $want_cuda ]]; then
  echo "setup: the CUDA PyTorch into .venv-cuda/ (scripts/build_cuda.sh builds against it)"
  make_venv .venv-cuda torch==2.14.1
fi

if [[ -n $want_build ]]; then
  if [[ $libtorch == pip ]]; then
    torch_dir=$(.venv/bin/python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')
  else
    torch_dir=/usr
  fi
  # A build folder configured against another LibTorch is configured afresh.
  if [[ -f build/CMakeCache.txt ]] && ! grep -qx "CMAKE_PREFIX_PATH:UNINITIALIZED=$torch_dir" build/CMakeCache.txt &&
     ! grep -qx "CMAKE_PREFIX_PATH:STRING=$torch_dir" build/CMakeCache.txt; then
    echo "setup: build/ was configured against another LibTorch: configuring it again"
    rm -rf build
  fi
  echo "setup: configuring and building build/gen (Release, Ninja, LibTorch in $torch_dir)"
  [[ -f build/CMakeCache.txt ]] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_dir"
  cmake --build build --target gen -j "$(nproc)"
fi

if [[ -n $want_data ]]; then
  echo "setup: fetching MNIST into data/mnist"
  scripts/get_data.sh mnist
fi
echo "setup: done. Next: build/gen train configs/dcgan_mnist.yaml"
