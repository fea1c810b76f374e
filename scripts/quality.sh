#!/usr/bin/env bash
# Trains the real configs (resuming any that are unfinished, skipping finished ones), runs
# `gen eval` on each, and prints one table of the final figures with the commands that made
# them. Hours on a 2-core CPU; name configs to do fewer:
#   scripts/quality.sh                          # all of them
#   scripts/quality.sh dcgan_mnist vae_mnist    # the classifier is trained first when needed
# Environment: GEN (default build/gen), QUALITY_DIR (JSON reports, default runs/quality).
set -euo pipefail
cd "$(dirname "$0")/.."
GEN=${GEN:-build/gen}
DIR=${QUALITY_DIR:-runs/quality}
ALL=(classifier_mnist dcgan_mnist dcgan_cond_mnist wgangp_mnist vae_mlp_mnist vae_mnist transformer_shakespeare_cpu)
CONFIGS=("${@:-${ALL[@]}}")
mkdir -p "$DIR"

eval_args() {  # the final-figure budget of each family
  case "$1" in
    vae_*) echo "--iw-samples 1000 --n 10000" ;;
    dcgan*|wgangp*) echo "--n 10000" ;;
    *) echo "" ;;
  esac
}
needs_features() { case "$1" in dcgan*|wgangp*|vae_mnist) return 0 ;; *) return 1 ;; esac; }

run() { echo "+ $*" | tee -a "$DIR/commands.txt"; "$@"; }

: > "$DIR/commands.txt"
for name in "${CONFIGS[@]}"; do
  if needs_features "$name" && [[ ! -e runs/classifier_mnist/checkpoints/latest.pt ]]; then
    run "$GEN" train configs/classifier_mnist.yaml --resume auto
  fi
  run "$GEN" train "configs/$name.yaml" --resume auto  # finished runs: "nothing to train"
  # shellcheck disable=SC2046
  run "$GEN" eval --ckpt "runs/$name/checkpoints/latest.pt" $(eval_args "$name") --json "$DIR/$name.json" \
    > "$DIR/$name.txt"
done

echo
printf '%-30s %-26s %s\n' config figure value
for name in "${CONFIGS[@]}"; do
  awk -v n="$name" '/"figures": \{/ {on=1; next} on && /\}/ {on=0} on {
      gsub(/[",]/, ""); split($0, kv, ": "); gsub(/ /, "", kv[1]);
      if (kv[1] !~ /_std$/) printf "%-30s %-26s %s\n", n, kv[1], kv[2] }' "$DIR/$name.json"
done
echo
echo "commands: $DIR/commands.txt; full reports: $DIR/<config>.txt and .json"
