#!/usr/bin/env python3
"""The Adam(W) update alone, PyTorch's foreach implementation against its fused one, on the
parameter shapes of gen's configs: the same ATen kernels gen's optim.kernel foreach / fused call
(src/optim/multi_tensor_adam.cpp), without the rest of a training step around them.

  .venv/bin/python3 scripts/optimizer_step_times.py [THREADS...]   (default: 1 2)
"""
import sys
import time

import torch


def gpt(n_layer, n_embd, vocab=65, block=64):  # gen's Transformer, bias false, tied head
    shapes = [(vocab, n_embd), (block, n_embd)]
    for _ in range(n_layer):
        shapes += [(n_embd,), (3 * n_embd, n_embd), (n_embd, n_embd), (n_embd,), (4 * n_embd, n_embd),
                   (n_embd, 4 * n_embd)]
    return shapes + [(n_embd,)]


def dcgan64():  # pytorch/examples' DCGAN (gen's dcgan64_mnist): G and D, 1 channel
    g = [(100, 512, 4, 4), (512,), (512,), (512, 256, 4, 4), (256,), (256,), (256, 128, 4, 4), (128,), (128,),
         (128, 64, 4, 4), (64,), (64,), (64, 1, 4, 4)]
    d = [(64, 1, 4, 4), (128, 64, 4, 4), (128,), (128,), (256, 128, 4, 4), (256,), (256,), (512, 256, 4, 4),
         (512,), (512,), (1, 512, 4, 4)]
    return g + d


def step_ms(shapes, kind, steps=50, rounds=3):
    best = float("inf")
    for _ in range(rounds):
        params = [torch.randn(s, requires_grad=True) for s in shapes]
        groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
                  {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
        opt = torch.optim.AdamW(groups, lr=1e-3, **{kind: True})
        for p in params:
            p.grad = torch.randn_like(p)
        for _ in range(5):
            opt.step()
        start = time.perf_counter()
        for _ in range(steps):
            opt.step()
        best = min(best, (time.perf_counter() - start) / steps * 1e3)
    return best


def main():
    configs = [("transformer_shakespeare_cpu (4 x 128)", gpt(4, 128)), ("6 x 384 GPT", gpt(6, 384)),
               ("dcgan64_mnist (G + D)", dcgan64())]
    print(f"torch {torch.__version__}; best of 3 rounds of 50 updates")
    print("| parameters | threads | foreach ms | fused ms | fused / foreach |")
    print("| --- | --- | --- | --- | --- |")
    for threads in [int(t) for t in sys.argv[1:]] or [1, 2]:
        torch.set_num_threads(threads)
        for name, shapes in configs:
            n = sum(torch.Size(s).numel() for s in shapes)
            a, b = step_ms(shapes, "foreach"), step_ms(shapes, "fused")
            print(f"| {name}, {n / 1e6:.2f} M | {threads} | {a:.2f} | {b:.2f} | {b / a:.2f} |")


if __name__ == "__main__":
    main()
