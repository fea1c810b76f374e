#!/usr/bin/env bash
# ctest: the source tree follows src/LAYERS, and the check catches an upward include (run on
# a copy of the tree with one added: without that second half this test could never fail).
set -euo pipefail
src=$1
"$src/scripts/check_layers.sh" "$src"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/util" "$tmp/src/models" "$tmp/src/data"
cp "$src/src/LAYERS" "$tmp/src/"
printf '#include "models/registry.h"\n' > "$tmp/src/util/upward.h"     # util is the lowest layer
printf '#include "data/batcher.h"\n' > "$tmp/src/models/sideways.h"    # same line: neither includes the other
printf '#include "util/errors.h"\n' > "$tmp/src/data/fine.h"
if out=$("$src/scripts/check_layers.sh" "$tmp"); then echo "the check passed a tree with upward includes"; exit 1; fi
grep -q 'src/util/upward.h:1: includes models/' <<<"$out" || { echo "upward include not reported: $out"; exit 1; }
grep -q 'src/models/sideways.h:1: includes data/' <<<"$out" || { echo "sideways include not reported: $out"; exit 1; }
! grep -q 'fine.h' <<<"$out" || { echo "a downward include was reported: $out"; exit 1; }
echo "layering: tree clean, violations caught"
