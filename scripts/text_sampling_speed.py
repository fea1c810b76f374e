#!/usr/bin/env python3
"""Tokens/s of gen sample (KV cache) against transformers' generate (its cache on) on the same model, same run.

usage: .venv/bin/python3 scripts/text_sampling_speed.py CKPT [--tokens 20000] [--gen build/gen]
                                                        [--threads 1 2] [--rounds 2]

CKPT is a Transformer checkpoint. gen exports it with `--format hf`, then, alternating for
--rounds: `gen sample --tokens N --out FILE` (its own line "N tokens in S s": drawing only, the
model already loaded; threads as the checkpoint's runtime.threads says; the KV cache re-encodes
the last block_size/2 tokens whenever it is full) and GPT2LMHeadModel.generate(do_sample=True,
top_k=0, use_cache=True) at each thread count of --threads, one token of prompt and
block_size - 1 new tokens per call (GPT-2's learned positions end at block_size), repeated
until N tokens are drawn; its best rate counts. Prints both rates and their ratio.
"""
import argparse
import re
import subprocess
import sys
import tempfile
import time

import torch
import transformers
from transformers import AutoModelForCausalLM


def gen_rate(args, ckpt, out):
    res = subprocess.run([args.gen, "sample", "--ckpt", ckpt, "--tokens", str(args.tokens), "--seed", "1", "--out", out],
                         check=True, capture_output=True, text=True)
    m = re.findall(r"(\d+) tokens in ([0-9.]+) s", res.stdout + res.stderr)
    if not m:
        sys.exit("no rate line from gen sample:\n" + res.stdout + res.stderr)
    return int(m[-1][0]) / float(m[-1][1])


def hf_rate(model, tokens, threads):
    torch.set_num_threads(threads)
    block = model.config.n_positions
    start_ids = torch.zeros((1, 1), dtype=torch.long)
    torch.manual_seed(0)
    model.generate(start_ids, do_sample=True, top_k=0, max_new_tokens=8, pad_token_id=0)  # warm-up
    drawn, start = 0, time.perf_counter()
    while drawn < tokens:
        new = min(block - 1, tokens - drawn)
        model.generate(start_ids, attention_mask=torch.ones_like(start_ids), do_sample=True, top_k=0,
                       max_new_tokens=new, min_new_tokens=new, pad_token_id=0, use_cache=True)
        drawn += new
    return drawn / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ckpt")
    ap.add_argument("--tokens", type=int, default=20000)
    ap.add_argument("--gen", default="build/gen")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([args.gen, "export", "--ckpt", args.ckpt, "--format", "hf", "--out", f"{tmp}/hf"], check=True,
                       capture_output=True)
        model = AutoModelForCausalLM.from_pretrained(f"{tmp}/hf", local_files_only=True).eval()
        for r in range(args.rounds):
            g = gen_rate(args, args.ckpt, f"{tmp}/sample.txt")
            print(f"round {r + 1}: gen sample (KV cache): {args.tokens} tokens, {g:.0f} tokens/s "
                  f"({args.tokens / g:.1f} s)")
            best = 0.0
            with torch.no_grad():
                for t in args.threads:
                    h = hf_rate(model, args.tokens, t)
                    print(f"round {r + 1}: transformers {transformers.__version__} generate (torch {torch.__version__}, "
                          f"{t} thread(s)): {h:.0f} tokens/s")
                    best = max(best, h)
            print(f"round {r + 1}: gen / transformers' best: {g / best:.2f}x")


if __name__ == "__main__":
    main()
