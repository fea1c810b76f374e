#!/usr/bin/env python3
"""Forward+backward times of LibTorch's fused attention against the plain ops, per shape and dtype.

F.scaled_dot_product_attention against matmul / softmax in float32 / matmul (a causal mask by
masked_fill; gen's plain ops before session 16) and against gen's plain ops now (one baddbmm
with the scale and an additive mask, the softmax in the input's type), on the CPU at the
thread count given: the measurement behind src/models/attention_kernel.h's choice (the
Transformer's causal attention on the CPU up to 256 tokens now runs gen's own kernel,
src/models/causal_attention_cpu.h, timed in docs/RESULTS.md). Usage:
.venv/bin/python3 scripts/attention_kernel_times.py [THREADS]
"""
import sys
import time

import torch
import torch.nn.functional as F

# (batch, heads, tokens, dims, causal): the U-Net's 7x7 level and longer, the CPU and GPU Transformers.
SHAPES = [(128, 2, 49, 32, False), (128, 2, 144, 32, False), (128, 2, 196, 32, False),
          (12, 4, 64, 32, True), (64, 6, 128, 64, True), (64, 6, 256, 64, True)]


def fused(q, k, v, causal):
    return F.scaled_dot_product_attention(q, k, v, is_causal=causal)


def plain(q, k, v, causal):
    a = q @ k.transpose(-2, -1) / q.size(-1) ** 0.5
    if causal:
        t = q.size(-2)
        a = a.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
    return a.float().softmax(-1).to(q.dtype) @ v


def one_gemm(q, k, v, causal):
    # As src/models/attention_kernel.h: masked, one baddbmm with the mask and the scale; unmasked,
    # bmm then the scale (LibTorch 1.13's baddbmm with beta 0 reads its uninitialised output).
    b, h, t, d = q.shape
    q3, k3 = q.reshape(b * h, t, d), k.reshape(b * h, t, d)
    if causal:
        mask = torch.zeros(t, t, dtype=q.dtype).masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
        a = torch.baddbmm(mask, q3, k3.transpose(1, 2), alpha=d ** -0.5)
    else:
        a = torch.bmm(q3, k3.transpose(1, 2)) * d ** -0.5
    return a.softmax(-1).view(b, h, t, t) @ v


def ms(fn, b, h, t, d, causal, dtype, runs):
    q, k, v = [torch.randn(b, h, t, d, dtype=dtype, requires_grad=True) for _ in range(3)]
    for i in range(2 + runs):
        if i == 2:
            start = time.perf_counter()
        fn(q, k, v, causal).sum().backward()
    return (time.perf_counter() - start) / runs * 1e3


def main():
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; forward+backward ms")
    print(f"{'shape (b, h, t, d)':<22} {'causal':<7} {'dtype':<9} {'fused':>8} {'plain':>8} {'1 GEMM':>8}")
    for b, h, t, d, causal in SHAPES:
        for dtype in (torch.float32, torch.bfloat16):
            runs = max(3, int(2e8 / (b * h * t * t * d)))
            f, p = ms(fused, b, h, t, d, causal, dtype, runs), ms(plain, b, h, t, d, causal, dtype, runs)
            g = ms(one_gemm, b, h, t, d, causal, dtype, runs)
            print(f"{str((b, h, t, d)):<22} {str(causal):<7} {str(dtype)[6:]:<9} {f:8.2f} {p:8.2f} {g:8.2f}")


if __name__ == "__main__":
    main()
