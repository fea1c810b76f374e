// Causal self-attention of short sequences on the CPU as one autograd node: softmax(q k^T /
// sqrt(d) + causal mask) v for every head, read straight from the fused q|k|v projection and
// written straight into the (B, T, C) layout the output projection takes. Each (sequence, head)
// is one task computed in float (flash attention's recomputation: the backward pass rebuilds the
// weights from the saved log-sum-exp), so no head copies, no (T x T) logits in memory, no mask
// pass, no exponent of a masked entry. bf16 with even head dims on CPUs with AVX512_BF16 takes
// its products as bf16 pair dot products instead, the weights and the logits' gradient rounded
// to bf16 for them (softmax, its gradient and every sum stay float). Timings against LibTorch's
// fused kernel and the plain ops, per instruction set: docs/RESULTS.md ("Causal attention as one
// CPU kernel", session 18's and session 20's sections). Its instruction set: util/cpu_kernels_isa.h.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace gen {

// The longest sequence and widest head the kernel takes (its per-task buffers stay in L2).
constexpr int64_t kCausalAttentionCpuMaxTokens = 256;
constexpr int64_t kCausalAttentionCpuMaxHeadDim = 128;

// The name its forward pass runs under in LibTorch's RecordFunction (profiler, FLOP counter).
constexpr const char* kCausalAttentionCpuOp = "gen::causal_attention_cpu";

// Whether causal_attention_cpu takes qkv (B, T, 3C) split into n_head heads.
bool causal_attention_cpu_fits(const torch::Tensor& qkv, int64_t n_head);

// y (B, T, C) = causal attention of the n_head heads of qkv (B, T, 3C) = [q | k | v], head h
// in columns [h d, (h + 1) d) of each third; float, bf16 or fp16, in qkv's type; differentiable
// once (the backward pass is not itself differentiable).
torch::Tensor causal_attention_cpu(const torch::Tensor& qkv, int64_t n_head);

}  // namespace gen
