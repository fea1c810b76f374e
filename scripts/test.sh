#!/usr/bin/env bash
# Builds what is needed and runs every test; the exit code is the verdict.
#   1. build/ (Release, LibTorch): unit tests, smoke runs of the real gen binary on tiny
#      configs, and 30 steps of configs/dcgan_mnist.yaml on real MNIST when data/mnist exists.
#   2. build-asan/: the torch-free file parsers (config, IDX, event files) and their tests under ASan+UBSan.
#   3. build-fuzz/: libFuzzer on the config loader, IDX reader, checkpoint loader and event-file reader,
#      GEN_FUZZ_SECONDS each (default 30; 0 skips), when clang is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "test: building build/ (Release)"
[[ -f build/CMakeCache.txt ]] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake -S . -B build -DGEN_BUILD_TESTS=ON >/dev/null
cmake --build build -j "$jobs"

echo "test: building build-asan/ (parsers under AddressSanitizer + UndefinedBehaviorSanitizer)"
[[ -f build-asan/CMakeCache.txt ]] || cmake --preset asan >/dev/null
cmake --build build-asan -j "$jobs"

status=0
echo "test: ctest build/"
(cd build && ctest -j "$jobs" --output-on-failure) || status=1
echo "test: ctest build-asan/"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest -j "$jobs" --output-on-failure) || status=1
fuzz_seconds=${GEN_FUZZ_SECONDS:-30}
if [[ $fuzz_seconds -gt 0 ]]; then
  if command -v clang++ >/dev/null; then
    echo "test: fuzzing (${fuzz_seconds}s per target)"
    scripts/fuzz.sh "$fuzz_seconds" || status=1
  else
    echo "test: clang++ not found: fuzzing skipped (scripts/setup.sh installs it)"
  fi
fi
exit $status
