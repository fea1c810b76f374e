#!/usr/bin/env bash
# Builds what is needed and runs every test; the exit code is the verdict.
#   1. build/ (Release, the LibTorch scripts/setup.sh chose: pip torch 2.13 from .venv/ by
#      default): unit tests, smoke runs of the real gen binary on tiny configs, the interop
#      tests with the real Python clients, and 30 steps of configs/dcgan_mnist.yaml on real
#      MNIST when data/mnist exists.
#   2. build-asan/: the torch-free file parsers (config, IDX, event files) and their tests under ASan+UBSan.
#   3. build-fuzz/: libFuzzer on the config loader, IDX reader, checkpoint loader and event-file reader,
#      GEN_FUZZ_SECONDS each (default 30; 0 skips), when clang is installed.
# With CI=true (CI's .ci/run) or GEN_TEST_BUILDS=all, two more builds:
#   4. build-debian/: against Debian's libtorch-dev 1.13 (the fallback), every ctest test again.
#   5. build-cuda/: scripts/build_cuda.sh against the CUDA wheel in .venv-cuda/ (scripts/setup.sh
#      --cuda) with the machine's nvcc, NCCL and Gloo: it must compile and link, and the binary
#      must run the tiny smoke tests on the CPU (no GPU needed: device auto picks the CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
all_builds=
[[ ${CI:-} == true || ${GEN_TEST_BUILDS:-} == all ]] && all_builds=1
status=0
step() { echo "test: $*"; }
started=$SECONDS
took() { echo "test: ... $1 took $(((SECONDS - $2) / 60)) min $(((SECONDS - $2) % 60)) s"; }

t=$SECONDS
step "building build/ (Release)"
if [[ ! -f build/CMakeCache.txt ]]; then
  torch_dir=/usr
  [[ -x .venv/bin/python3 ]] && torch_dir=$(.venv/bin/python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_dir"
fi
cmake -S . -B build -DGEN_BUILD_TESTS=ON >/dev/null
cmake --build build -j "$jobs"
build/gen --version

step "building build-asan/ (parsers under AddressSanitizer + UndefinedBehaviorSanitizer)"
[[ -f build-asan/CMakeCache.txt ]] || cmake --preset asan >/dev/null
cmake --build build-asan -j "$jobs"
took "building" $t

t=$SECONDS
step "ctest build/"
(cd build && ctest -j "$jobs" --output-on-failure) || status=1
took "ctest build/" $t
step "ctest build-asan/"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest -j "$jobs" --output-on-failure) || status=1
fuzz_seconds=${GEN_FUZZ_SECONDS:-30}
if [[ $fuzz_seconds -gt 0 ]]; then
  if command -v clang++ >/dev/null; then
    step "fuzzing (${fuzz_seconds}s per target)"
    scripts/fuzz.sh "$fuzz_seconds" || status=1
  else
    step "clang++ not found: fuzzing skipped (scripts/setup.sh installs it)"
  fi
fi

if [[ -n $all_builds ]]; then
  t=$SECONDS
  step "building build-debian/ against Debian's LibTorch 1.13 (the fallback) and running its ctest"
  [[ -f build-debian/CMakeCache.txt ]] ||
    cmake -S . -B build-debian -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=/usr -DGEN_BUILD_TESTS=ON >/dev/null
  if cmake --build build-debian -j "$jobs"; then
    build-debian/gen --version
    (cd build-debian && ctest -j "$jobs" --output-on-failure) || status=1
  else
    status=1
  fi
  took "build-debian/" $t

  t=$SECONDS
  step "building build-cuda/ with scripts/build_cuda.sh (CUDA wheel in .venv-cuda/, nvcc $(nvcc --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/\1/p'))"
  if [[ ! -x .venv-cuda/bin/python3 ]]; then
    echo "test: .venv-cuda/ missing: run scripts/setup.sh --cuda"
    status=1
  elif PYTHON=.venv-cuda/bin/python3 CUDA_ARCH=90 UNITY=ON scripts/build_cuda.sh > build-cuda.log 2>&1; then
    grep -E "gen: |LibTorch|CUDA detected" build-cuda.log || true
    tests/cuda/smoke_on_cpu.sh build-cuda/gen build/tests/make_tiny_mnist "$PWD" || status=1
  else
    tail -40 build-cuda.log
    echo "test: the CUDA build failed (whole log: build-cuda.log)"
    status=1
  fi
  took "build-cuda/" $t
fi
took "everything" $started
exit $status
