#!/usr/bin/env bash
# gen bench and the Python references on the same configs in one run, then the ratios.
#   scripts/bench.sh [CONFIG...]      (default: the configs that have a Python reference)
# gen is timed in fp32 and in bf16 (runtime.precision); each reference in every variant it has
# (eager fp32, bf16 autocast, torch.compile of both; TF32 on CUDA) once per thread count of
# REF_THREADS (default "1 2" on the CPU: OpenMP and the BLAS oversubscribe 2 cores at PyTorch's
# default, so either may win), keeping its best. Printed: gen's lines, the references' lines, a
# table of reference ms / gen ms at the same precision (above 1: gen is faster) with gen's MFU
# against the roof gen measures in the same run, and gen's best against torch.compile's best.
# Env: STEPS (20), WARMUP (5), DEVICE (cpu, or cuda when LibTorch's Python sees a GPU), GEN
# (build/gen), PYTHON (.venv/bin/python3 when it exists, else python3; needs torch and PyYAML),
# REF_THREADS, SETS ("--set k=v ..." for every config).
set -euo pipefail
cd "$(dirname "$0")/.."
gen=${GEN:-build/gen}
python=${PYTHON:-}
if [[ -z $python ]]; then
  if [[ -x .venv/bin/python3 ]]; then python=.venv/bin/python3; else python=python3; fi
fi
device=${DEVICE:-$("$python" -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')}
steps=${STEPS:-20} warmup=${WARMUP:-5}
read -r -a sets <<< "${SETS:-}"
configs=("$@")
((${#configs[@]})) || configs=(configs/transformer_shakespeare_cpu.yaml configs/vae_mlp_mnist.yaml
                               configs/dcgan64_mnist.yaml configs/diffusion_mnist.yaml)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ref_threads=${REF_THREADS:-}
[[ -n $ref_threads ]] || { [[ $device == cpu ]] && ref_threads="1 2" || ref_threads=0; }

for precision in fp32 bf16; do
  echo "== gen bench ($device, $precision)"
  "$gen" bench "${configs[@]}" "${sets[@]}" --set device="$device" --set runtime.precision="$precision" \
    --steps "$steps" --warmup "$warmup" --json "$tmp/gen_$precision.json"
done
for t in $ref_threads; do
  echo "== Python references ($device$([[ $t != 0 ]] && echo ", $t thread(s)"))"
  "$python" scripts/reference_step_times.py "${configs[@]}" "${sets[@]}" --device "$device" --steps "$steps" \
    --warmup "$warmup" --gen "$gen" --json "$tmp/ref_$t.json" --threads "$t"
done
echo "== reference ms / gen ms at the same precision (above 1: gen is faster); references at their best thread count"
"$python" - "$tmp" <<'PY'
import glob, json, os, sys
tmp = sys.argv[1]
gen = {}  # (config, precision) -> figures
for prec in ("fp32", "bf16"):
    for r in json.load(open(os.path.join(tmp, f"gen_{prec}.json"))):
        gen[(r["info"]["config"], prec)] = r["figures"]
best = {}  # (config, variant) -> reference row with the fewest ms over thread counts
for path in glob.glob(os.path.join(tmp, "ref_*.json")):
    for r in json.load(open(path)):
        key = (r["config"], r["variant"])
        if key not in best or r["ms_per_step"] < best[key]["ms_per_step"]:
            best[key] = r
print(f"{'config':42} {'variant':13} {'thr':>3} {'ref ms':>9} {'gen ms':>9} {'gen MFU':>7} {'ref/gen':>7}")
for (config, variant), r in sorted(best.items()):
    prec = "bf16" if variant.startswith("bf16") else "fp32"
    g = gen.get((config, prec))
    if g:
        print(f"{config:42} {variant:13} {r['threads']:3d} {r['ms_per_step']:9.2f} {g['ms_per_step']:9.2f} "
              f"{100 * g.get('mfu', 0):6.1f}% {r['ms_per_step'] / g['ms_per_step']:7.2f}")
print("== gen at its best precision against the best torch.compile variant")
for config in sorted({c for c, _ in best}):
    gens = [(g["ms_per_step"], p) for (c, p), g in gen.items() if c == config]
    compiled = [(r["ms_per_step"], v) for (c, v), r in best.items() if c == config and v.endswith("compile")]
    if gens and compiled:
        (gms, gp), (cms, cv) = min(gens), min(compiled)
        print(f"{config:42} gen {gp} {gms:9.2f} ms, {cv} {cms:9.2f} ms: {cms / gms:5.2f}x")
PY
