#!/usr/bin/env python3
"""Times `gen tokenizer train` and `gen tokenize` against the tokenizers library's BpeTrainer and
encode on the same corpus and vocabulary size, in one run, and checks that the vocabularies and
the ids are the same. The library encodes the corpus as a batch of lines (encode_batch, on every
core: how it is fast; a whole 100 MB string takes it minutes); the ids are compared on the first
--check-mb megabytes encoded whole by both.

The corpus, from a fixed seed: MB megabytes of lines made of random runs of 3-20 consecutive
words of TEXT (Tiny Shakespeare by default; about 25,000 distinct words) with a random number
in one line of four; or, with --zipf N, of words drawn by Zipf's law (exponent 1.1) from N
random words of 2-12 letters (a few of them accented), so that the corpus has many distinct words
as a real one does.

usage: .venv/bin/python scripts/tokenizer_speed.py [--gen build/gen] [--text data/shakespeare/input.txt]
                                                   [--mb 100] [--vocab-size 4096] [--rounds 1]
"""
import argparse
import json
import os
import random
import subprocess
import tempfile
import time

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers


def corpus(text, mb, seed=0):
    words = text.split()
    rng = random.Random(seed)
    out, size = [], 0
    while size < mb * 1_000_000:
        i = rng.randrange(len(words) - 20)
        line = " ".join(words[i:i + rng.randint(3, 20)])
        if rng.random() < 0.25:
            line += f" {rng.randint(0, 10**rng.randint(1, 6))}"
        out.append(line + "\n")
        size += len(line) + 1
    return "".join(out)


def zipf_corpus(n_words, mb, seed=0):
    import numpy as np
    rng = np.random.default_rng(seed)
    letters = list("abcdefghijklmnopqrstuvwxyz" * 8 + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "éèàüöçñ")
    lengths = rng.integers(2, 13, n_words)
    pool = ["".join(rng.choice(letters, n)) for n in lengths]
    weights = 1.0 / np.arange(1, n_words + 1) ** 1.1
    weights /= weights.sum()
    out, size = [], 0
    punct = [" ", " ", " ", " ", ", ", ". ", "; ", "! "]
    while size < mb * 1_000_000:
        idx = rng.choice(n_words, 200_000, p=weights)
        seps = rng.choice(len(punct), 200_000)
        words = [pool[i] + punct[j] for i, j in zip(idx, seps)]
        for k in range(0, len(words), 12):
            line = "".join(words[k:k + 12]).rstrip() + "\n"
            out.append(line)
            size += len(line.encode())
    return "".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gen", default="build/gen")
    ap.add_argument("--text", default="data/shakespeare/input.txt")
    ap.add_argument("--mb", type=float, default=100)
    ap.add_argument("--vocab-size", type=int, default=4096)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--check-mb", type=float, default=5)
    ap.add_argument("--zipf", type=int, default=0, help="draw the words by Zipf's law from this many random words")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "corpus.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(zipf_corpus(a.zipf, a.mb) if a.zipf else corpus(open(a.text, encoding="utf-8").read(), a.mb))
        mb = os.path.getsize(path) / 1e6
        text = open(path, encoding="utf-8").read()
        for r in range(a.rounds):
            t0 = time.time()
            subprocess.run([a.gen, "tokenizer", "train", path, "--vocab-size", str(a.vocab_size), "--out",
                            os.path.join(tmp, "gen.json")], check=True, capture_output=True)
            gen_train = time.time() - t0
            ref = Tokenizer(models.BPE())
            ref.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
            ref.decoder = decoders.ByteLevel()
            t0 = time.time()
            ref.train([path], trainers.BpeTrainer(vocab_size=a.vocab_size, show_progress=False,
                                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
            lib_train = time.time() - t0
            same_vocab = json.loads(ref.to_str())["model"] == json.load(open(os.path.join(tmp, "gen.json")))["model"]

            tok = os.path.join(tmp, "ids.tok")
            if os.path.exists(tok):
                os.remove(tok)
            t0 = time.time()
            subprocess.run([a.gen, "tokenize", path, "--tokenizer", os.path.join(tmp, "gen.json"), "--out", tok],
                           check=True, capture_output=True)
            gen_encode = time.time() - t0
            lib = Tokenizer.from_file(os.path.join(tmp, "gen.json"))
            lines = text.splitlines(keepends=True)
            t0 = time.time()
            n_lib = sum(len(e.ids) for e in lib.encode_batch(lines))
            lib_encode = time.time() - t0
            del lines
            # Parity on a prefix cut after a newline, encoded whole by both.
            head = text[:text.index("\n", int(a.check_mb * 1_000_000)) + 1]
            head_path = os.path.join(tmp, "head.txt")
            with open(head_path, "w", encoding="utf-8") as f:
                f.write(head)
            head_tok = os.path.join(tmp, "head.tok")
            if os.path.exists(head_tok):
                os.remove(head_tok)
            subprocess.run([a.gen, "tokenize", head_path, "--tokenizer", os.path.join(tmp, "gen.json"), "--out",
                            head_tok], check=True, capture_output=True)
            raw = open(head_tok, "rb").read()[64:]
            ours = [int.from_bytes(raw[i:i + 2], "little") for i in range(0, len(raw), 2)]
            same_ids = ours == lib.encode(head).ids
            n_gen = (os.path.getsize(tok) - 64) // 2
            print(f"round {r + 1}: {mb:.1f} MB, vocab {a.vocab_size}: train gen {gen_train:.1f} s, "
                  f"tokenizers {lib_train:.1f} s (gen/lib {gen_train / lib_train:.2f}); same model {same_vocab}; "
                  f"encode gen {gen_encode:.1f} s ({mb / gen_encode:.1f} MB/s), tokenizers {lib_encode:.1f} s "
                  f"({mb / lib_encode:.1f} MB/s, encode_batch of lines); {n_gen} ids (library, by lines: {n_lib}); "
                  f"same ids on the first {len(head) / 1e6:.1f} MB {same_ids}")


if __name__ == "__main__":
    main()
