#!/usr/bin/env bash
# Fails when an #include crosses the layer order of src/LAYERS:
#   scripts/check_layers.sh [ROOT]     (ROOT: the repository, default this one)
# Every quoted include "folder/file.h" of src/ and apps/ is checked against the including
# file's folder; one line per violation, exit 1 when there is any.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
layers=$root/src/LAYERS
[[ -f $layers ]] || { echo "check_layers: $layers missing" >&2; exit 2; }

declare -A rank
n=0
while read -r line; do
  line=${line%%#*}
  [[ -z ${line// } ]] && continue
  n=$((n + 1))
  for folder in $line; do rank[$folder]=$n; done  # line 1 is the top
done < "$layers"

bad=0
while IFS= read -r -d '' file; do
  rel=${file#"$root"/}
  case $rel in apps/*) from=apps ;; src/*/*) from=$(cut -d/ -f2 <<<"$rel") ;; *) continue ;; esac
  [[ -n ${rank[$from]:-} ]] || { echo "$rel: folder '$from' is not in src/LAYERS"; bad=1; continue; }
  while IFS=: read -r lineno inc; do
    to=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"/]+)\/.*/\1/' <<<"$inc")
    [[ $to == "$from" || -z ${rank[$to]:-} ]] && continue  # own folder, or not a gen folder
    if (( rank[$to] <= rank[$from] )); then
      echo "$rel:$lineno: includes $to/ ($to is not below $from in src/LAYERS)"
      bad=1
    fi
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"/]+/' "$file" || true)
done < <(find "$root/src" "$root/apps" -type f \( -name '*.h' -o -name '*.cpp' \) -print0 2>/dev/null)
if (( bad )); then echo "check_layers: includes cross the layer order of src/LAYERS"; exit 1; fi
echo "check_layers: every include follows src/LAYERS"
