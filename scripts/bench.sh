#!/usr/bin/env bash
# gen bench and the Python references on the same configs in one run, then the ratios.
#   scripts/bench.sh [CONFIG...]      (default: the configs that have a Python reference)
# Env: STEPS (20), WARMUP (5), DEVICE (cpu, or cuda when LibTorch's Python sees a GPU), THREADS
# (the references' torch.set_num_threads; default PyTorch's own choice, as a user gets it), GEN
# (build/gen), PYTHON (/usr/bin/python3 when it has torch, else python3), SETS ("--set k=v ..."
# for every config). Prints gen's line per config, the references' lines, and a table of
# reference ms / gen ms per variant (above 1: gen is faster). Needs PyTorch and PyYAML in PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
gen=${GEN:-build/gen}
python=${PYTHON:-}
if [[ -z $python ]]; then
  if /usr/bin/python3 -c 'import torch' 2>/dev/null; then python=/usr/bin/python3; else python=python3; fi
fi
device=${DEVICE:-$("$python" -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')}
steps=${STEPS:-20} warmup=${WARMUP:-5}
read -r -a sets <<< "${SETS:-}"
configs=("$@")
((${#configs[@]})) || configs=(configs/transformer_shakespeare_cpu.yaml configs/vae_mlp_mnist.yaml
                               configs/dcgan64_mnist.yaml)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== gen bench ($device)"
"$gen" bench "${configs[@]}" "${sets[@]}" --set device="$device" --steps "$steps" --warmup "$warmup" \
  --json "$tmp/gen.json"
echo "== Python references ($device)"
"$python" scripts/reference_step_times.py "${configs[@]}" "${sets[@]}" --device "$device" --steps "$steps" \
  --warmup "$warmup" --gen "$gen" --json "$tmp/ref.json" ${THREADS:+--threads "$THREADS"}
echo "== reference ms / gen ms (above 1: gen is faster)"
"$python" - "$tmp/gen.json" "$tmp/ref.json" <<'PY'
import json, sys
gen = {r["info"]["config"]: r["figures"]["ms_per_step"] for r in json.load(open(sys.argv[1]))}
rows = json.load(open(sys.argv[2]))
print(f"{'config':45} {'variant':14} {'gen ms':>9} {'ref ms':>9} {'ratio':>6}")
for r in rows:
    g = gen.get(r["config"])
    if g:
        print(f"{r['config']:45} {r['variant']:14} {g:9.2f} {r['ms_per_step']:9.2f} {r['ms_per_step'] / g:6.2f}")
PY
