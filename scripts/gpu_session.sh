#!/usr/bin/env bash
# Everything a short session on a GPU machine has to run, in order of importance, each part's
# output under OUT (default $OUT, the device tool's result folder, else gpu_session_out):
#   1. build build-cuda/gen (scripts/build_cuda.sh with the dependency bundle in .gpu/, and
#      Gloo headers from .gpu/gloo-include when carried there)
#   2. scripts/gpu_check.sh (families, precisions, export, data-parallel world of one over
#      NCCL, 2 ranks over Gloo)
#   3. scripts/dp_overhead.sh on the GPU Transformer (what a world of one over NCCL costs)
#   4. scripts/bench.sh (gen against the Python references, CUDA)
# Prepare on the CPU machine: copy ../shared/gpu/gen-deps-x86_64.tar.xz to .gpu/ (listed in
# .git/info/exclude), optionally cp -r /usr/include/gloo .gpu/gloo-include/, and data/ must be
# there (carry it). Each part's time is printed; a failed part does not stop the later ones.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${OUT:-$root/gpu_session_out}
mkdir -p "$out"
part() {  # NAME COMMAND...: runs it with its output in OUT/NAME.log, prints time and status
  local name=$1; shift
  local t0=$SECONDS
  "$@" > "$out/$name.log" 2>&1
  local rc=$?
  echo "== $name: exit $rc after $((SECONDS - t0)) s (log: $out/$name.log)"
  tail -n 25 "$out/$name.log"
  return $rc
}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$out/gpu.txt" 2>&1; cat "$out/gpu.txt"
[[ -d .gpu/gloo-include/gloo ]] && export GLOO_INCLUDE=$root/.gpu/gloo-include
if ! part build scripts/build_cuda.sh .gpu/gen-deps-x86_64.tar.xz; then
  # Debian's Gloo headers may not match the Gloo inside the pip LibTorch: build without them.
  [[ -n ${GLOO_INCLUDE:-} ]] || exit 1
  unset GLOO_INCLUDE
  rm -rf build-cuda
  part build_without_gloo scripts/build_cuda.sh .gpu/gen-deps-x86_64.tar.xz || exit 1
fi
grep -hE "gen: (data-parallel|no )" "$out"/build*.log
part gpu_check scripts/gpu_check.sh build-cuda/gen
part dp_overhead env DEVICE=cuda BACKEND=nccl GEN=build-cuda/gen scripts/dp_overhead.sh configs/transformer_shakespeare.yaml 300 2
part bench env DEVICE=cuda GEN=build-cuda/gen scripts/bench.sh
