#!/usr/bin/env bash
# gen export --format hf read by transformers and tokenizers themselves (GEN_CLIENT_PYTHON's
# .venv/, pinned in requirements-dev.txt): trains the tiny Transformer with the char tokenizer
# (with and without biases), the byte tokenizer and a byte-level BPE (gen tokenizer train),
# exports each as a transformers folder with a probe, writes a greedy continuation of a prompt
# with `gen sample --temperature 0`, and runs check_transformers.py: AutoModelForCausalLM and
# AutoTokenizer load the folder offline with no missing or unexpected key, the logits equal
# gen's, transformers' greedy generate writes gen's text; a broken folder fails.
# usage: transformers_python.sh GEN SRC_DIR    (exit 77 = skipped: no transformers)
set -euo pipefail
gen=$1 src=$2
source "$src/tests/interop/client_python.sh"
client_python torch,safetensors,transformers,tokenizers
tmp=$(mktemp -d)
[[ -n ${KEEP_TMP:-} ]] || trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/text"
for i in $(seq 1 60); do echo "First Citizen: speak, speak. We are all resolved rather to die than to famish $i."; done \
  > "$tmp/text/input.txt"
cd "$src"

new_tokens=7  # gen sample --tokens; generate(max_new_tokens) reads it from NAME.new_tokens.txt
model() {  # NAME [--set ...]: train, export as a transformers folder with a probe, continue a prompt greedily
  local name=$1
  shift
  "$gen" train configs/tiny/transformer.yaml --set name="$name" --set out_dir="$tmp/runs" --set data.root="$tmp/text" \
    --set train.sample_every=0 --set train.eval_every=0 --set train.steps=300 --set train.ckpt_every=300 "$@" > "$tmp/$name.log" 2>&1 ||
    { cat "$tmp/$name.log"; exit 1; }
  local ckpt=$tmp/runs/$name/checkpoints/latest.pt
  "$gen" export --ckpt "$ckpt" --format hf --out "$tmp/$name" --probe "$tmp/$name.probe.pt" >> "$tmp/$name.log" 2>&1 &&
    "$gen" sample --ckpt "$ckpt" --prompt "First Cit" --tokens "$new_tokens" --temperature 0 --out "$tmp/$name.greedy.txt" \
      >> "$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log"; exit 1; }
  printf 'First Cit' > "$tmp/$name.prompt.txt"
  printf '%s' "$new_tokens" > "$tmp/$name.new_tokens.txt"
}

model char
model char_bias --set model.bias=true
model byte --set data.tokenizer=byte
"$gen" tokenizer train "$tmp/text/input.txt" --vocab-size 300 --out "$tmp/bpe.json" > "$tmp/bpe.log" 2>&1 || { cat "$tmp/bpe.log"; exit 1; }
model bpe --set data.tokenizer=file --set data.tokenizer_file="$tmp/bpe.json"
"$python" "$src/tests/interop/check_transformers.py" "$tmp" char char_bias byte bpe
