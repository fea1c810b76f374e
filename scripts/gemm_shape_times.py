#!/usr/bin/env python3
"""The matrix products of a GPT training step, timed one by one against a 1024^3 product.

An MFU figure divides a step's FLOP rate by what the CPU does on one large GEMM. A small model's
products are small (768 tokens x 128 channels for transformer_shakespeare_cpu.yaml), and a GEMM
that small runs below the large one's rate whatever the code around it does. This prints each
product of one layer's forward and backward (nn.Linear without bias: y = x W^T; dx = dy W;
dW = dy^T x), its time and rate in fp32 and bf16, and the rate of all of them together: the MFU
a step could reach if it did nothing but these products.

usage: scripts/gemm_shape_times.py [--tokens 768] [--width 128] [--vocab 65] [--threads 2]
(run with the venv's python: .venv/bin/python3)
"""
import argparse
import time

import torch


def best_seconds(fn, reps=30):
    for _ in range(3):
        fn()
    best = 1e30
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=768, help="batch x block size (12 x 64)")
    ap.add_argument("--width", type=int, default=128, help="n_embd")
    ap.add_argument("--vocab", type=int, default=65, help="the tied head's rows")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    n, d = a.tokens, a.width
    # (name, in, out) of each bias-free linear of one layer, and the head.
    linears = [("c_attn", d, 3 * d), ("attn.c_proj", d, d), ("c_fc", d, 4 * d), ("mlp.c_proj", 4 * d, d),
               ("head", d, a.vocab)]
    for dtype in (torch.float32, torch.bfloat16):
        big = torch.randn(1024, 1024, dtype=dtype)
        roof = 2 * 1024 ** 3 / best_seconds(lambda: torch.mm(big, big), reps=10)
        total_flops = total_s = 0.0
        print(f"{str(dtype).replace('torch.', '')}: 1024^3 product {roof / 1e9:.1f} GFLOP/s on {a.threads} thread(s)")
        for name, fan_in, fan_out in linears:
            x = torch.randn(n, fan_in, dtype=dtype)
            w = torch.randn(fan_out, fan_in, dtype=dtype)
            dy = torch.randn(n, fan_out, dtype=dtype)
            flops = 2.0 * n * fan_in * fan_out
            for what, fn in (("y = x W^T", lambda: torch.mm(x, w.t())), ("dx = dy W", lambda: torch.mm(dy, w)),
                             ("dW = dy^T x", lambda: torch.mm(dy.t(), x))):
                s = best_seconds(fn)
                total_flops += flops
                total_s += s
                print(f"  {name:12s} {what:12s} ({n}x{fan_in})x({fan_in}x{fan_out})-sized: {s * 1e3:7.3f} ms "
                      f"{flops / s / 1e9:7.1f} GFLOP/s  {100 * flops / s / roof:5.1f}% of the 1024^3 rate")
        rate = total_flops / total_s
        print(f"  all of them: {rate / 1e9:.1f} GFLOP/s = {100 * rate / roof:.1f}% of the 1024^3 rate")


if __name__ == "__main__":
    main()
