#!/usr/bin/env bash
# Builds the libFuzzer targets with clang under ASan+UBSan (build-fuzz/) and runs each for
# SECONDS (default 60): the config loader, the IDX reader, the checkpoint loader, the
# TensorBoard event-file reader and the tokenizer.json reader (with the BPE encoder). Seeds are
# the configs in configs/, a small IDX file, and, when build/gen exists, a real checkpoint and
# event file of the tiny DCGAN and a small trained tokenizer.json. Crashes are written to
# build-fuzz/crashes/; the exit code is non-zero on any crash. Longer runs: scripts/fuzz.sh 3600. GEN_FUZZ_PAYLOAD=1 also feeds the checkpoint
# loader mutated payloads behind a valid checksum, which reaches known crashes inside
# LibTorch 1.13's TorchScript parser (see tests/fuzz/fuzz_checkpoint.cpp).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
jobs=$(nproc)

[[ -f build-fuzz/CMakeCache.txt ]] || CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGEN_FUZZ=ON -DGEN_SANITIZE=ON -DGEN_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzz_config fuzz_idx fuzz_checkpoint fuzz_events fuzz_tokenizer

seeds=build-fuzz/seeds
rm -rf "$seeds" && mkdir -p "$seeds"/{config,idx,checkpoint,events,tokenizer} build-fuzz/crashes
find configs -name '*.yaml' -exec cp {} "$seeds/config/" \;
printf '\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x02\x01\x02\x03\x04\x05\x06\x07\x08' > "$seeds/idx/tiny3d"
printf '\x00\x00\x08\x01\x00\x00\x00\x03\x07\x08\x09' > "$seeds/idx/labels"
if [[ -x build/gen && -x build/tests/make_tiny_mnist ]]; then
  tmp=$(mktemp -d)
  build/tests/make_tiny_mnist "$tmp/data" 16 >/dev/null
  build/gen train configs/tiny/dcgan.yaml --set data.root="$tmp/data" --set out_dir="$tmp/runs" --set train.steps=1 \
    --set model.g_channels=2 --set model.d_channels=2 >/dev/null 2>&1 && cp "$tmp/runs/dcgan/checkpoints/step_0000001.pt" "$seeds/checkpoint/" &&
    cp "$tmp"/runs/dcgan/events.out.tfevents.* "$seeds/events/" 2>/dev/null || true
  build/gen tokenizer train README.md --vocab-size 300 --out "$seeds/tokenizer/readme300.json" >/dev/null 2>&1 || true
  rm -rf "$tmp"
fi

status=0
for target in config idx checkpoint events tokenizer; do
  corpus=build-fuzz/corpus/$target
  mkdir -p "$corpus"
  echo "fuzz: $target for ${seconds}s"
  leaks=1
  [[ $target == checkpoint ]] && leaks=0  # LibTorch keeps global allocations alive until exit
  if ! ASAN_OPTIONS=detect_leaks=$leaks:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
       "build-fuzz/tests/fuzz/fuzz_$target" "$corpus" "$seeds/$target" -max_total_time="$seconds" -rss_limit_mb=4096 \
       -max_len=1048576 -artifact_prefix="build-fuzz/crashes/$target-" -print_final_stats=1 2>"build-fuzz/$target.log"; then
    echo "fuzz: $target FOUND A CRASH (build-fuzz/$target.log, build-fuzz/crashes/)"
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "build-fuzz/$target.log" | sed "s/^/  $target /"
done
exit $status
