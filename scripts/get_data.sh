#!/usr/bin/env bash
# Fetches a data set into data/ (or DIR): mnist | fashion-mnist | shakespeare.
#
# Sources, in order: $GEN_DATA_MIRROR (a folder holding the official file names, either
# directly or under mnist/, fashion-mnist/, tinyshakespeare/), Debian's dataset-fashion-mnist
# package for Fashion-MNIST, then the official download addresses. Every file is checked
# against the MD5 of its decompressed content (the same whichever source recompressed it)
# before it is moved into place, so data/ never holds a partial or wrong file.
set -euo pipefail

usage() { echo "usage: scripts/get_data.sh mnist|fashion-mnist|shakespeare [DIR]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
name=$1
root=$(cd "$(dirname "$0")/.." && pwd)
# Installed (<prefix>/share/gen/get_data.sh) rather than in a checkout: data/ under the current folder.
[[ -f $root/CMakeLists.txt ]] || root=$PWD

case $name in
  mnist)
    dir=${2:-$root/data/mnist}; mirror_sub=mnist
    urls=("https://ossci-datasets.s3.amazonaws.com/mnist" "http://yann.lecun.com/exdb/mnist")
    files=(train-images-idx3-ubyte.gz:6bbc9ace898e44ae57da46a324031adb
           train-labels-idx1-ubyte.gz:a25bea736e30d166cdddb491f175f624
           t10k-images-idx3-ubyte.gz:2646ac647ad5339dbf082846283269ea
           t10k-labels-idx1-ubyte.gz:27ae3e4e09519cfbb04c329615203637) ;;
  fashion-mnist|fashion_mnist)
    dir=${2:-$root/data/fashion-mnist}; mirror_sub=fashion-mnist
    urls=("/usr/share/datasets/fashion-mnist" "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com")
    files=(train-images-idx3-ubyte.gz:f4a8712d7a061bf5bd6d2ca38dc4d50a
           train-labels-idx1-ubyte.gz:9018921c3c673c538a1fc5bad174d6f9
           t10k-images-idx3-ubyte.gz:8181f5470baa50b63fa0f6fddb340f0a
           t10k-labels-idx1-ubyte.gz:15d484375f8d13e6eb1aabb0c3f46965) ;;
  shakespeare|tinyshakespeare)
    dir=${2:-$root/data/shakespeare}; mirror_sub=tinyshakespeare
    urls=("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare")
    files=(input.txt:6fb458f1232090904fb40fe944165e91) ;;
  *) usage ;;
esac

content_md5() {  # MD5 of the file's content, decompressed if it is gzip
  if [[ $1 == *.gz ]]; then gzip -dc -- "$1" | md5sum | cut -c1-32; else md5sum -- "$1" | cut -c1-32; fi
}

# Copies or downloads SOURCE (a path or URL) to TMP; returns non-zero when unavailable.
fetch() {
  local src=$1 tmp=$2
  case $src in
    http://*|https://*)
      if command -v curl >/dev/null; then curl -fsSL --connect-timeout 10 --max-time 300 -o "$tmp" "$src"
      elif command -v wget >/dev/null; then wget -q -T 10 -O "$tmp" "$src"
      else return 1; fi ;;
    *) [[ -f $src ]] && cp -- "$src" "$tmp" ;;
  esac
}

mkdir -p "$dir"
for entry in "${files[@]}"; do
  file=${entry%%:*}; want=${entry#*:}; dest=$dir/$file
  if [[ -f $dest ]] && [[ $(content_md5 "$dest" 2>/dev/null || true) == "$want" ]]; then
    echo "get_data: $dest already present and verified"; continue
  fi
  sources=()
  if [[ -n ${GEN_DATA_MIRROR:-} ]]; then
    sources+=("$GEN_DATA_MIRROR/$mirror_sub/$file" "$GEN_DATA_MIRROR/$file")
  fi
  for u in "${urls[@]}"; do sources+=("$u/$file"); done
  tmp=$dir/.partial.$$.$file  # keeps the .gz ending that content_md5 looks at
  trap 'rm -f "$tmp"' EXIT
  ok=
  for src in "${sources[@]}"; do
    rm -f "$tmp"
    if fetch "$src" "$tmp" 2>/dev/null; then
      got=$(content_md5 "$tmp" 2>/dev/null || echo unreadable)
      if [[ $got == "$want" ]]; then
        mv -f -- "$tmp" "$dest"; ok=1
        echo "get_data: $dest <- $src (md5 of content verified)"; break
      fi
      echo "get_data: $src: checksum mismatch (got $got, want $want), trying the next source" >&2
    fi
  done
  rm -f "$tmp"
  if [[ -z $ok ]]; then
    echo "get_data: error: no source reachable for $file (tried: ${sources[*]})." >&2
    echo "get_data: set GEN_DATA_MIRROR to a folder holding the official files, or check the network." >&2
    exit 1
  fi
done
