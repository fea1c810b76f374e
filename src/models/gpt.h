// The network of the Transformer family (GPT-2 / nanoGPT shape): token + learned position
// embeddings, pre-LayerNorm blocks of causal multi-head self-attention and a 4x GELU MLP,
// optional biases, dropout, the output head tied to the token embedding, init std 0.02 with
// residual projections scaled by 1/sqrt(2 * n_layer). Besides the full forward it runs one
// sequence incrementally through a KV cache (gen sample): each new token attends to the keys
// and values kept from the tokens before it instead of recomputing them.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "config/field.h"

namespace gen {

// model.* of the Transformer family.
struct TransformerOptions {
  int64_t n_layer = 4;
  int64_t n_head = 4;
  int64_t n_embd = 128;
  double dropout = 0.0;
  bool bias = false;

  template <class V>
  void visit(V& v) {
    v("n_layer", n_layer, Doc("Transformer blocks").range(1, 256));
    v("n_head", n_head, Doc("attention heads; must divide n_embd").range(1, 256));
    v("n_embd", n_embd, Doc("embedding width").range(1, 16384));
    v("dropout", dropout, Doc("dropout on embeddings, attention and residual branches").range(0, 0.9));
    v("bias", bias, "biases in Linear layers and LayerNorms (GPT-2: true; nanoGPT's smaller models: false)");
  }
};

// The options and what the data decides.
struct GptShape : TransformerOptions {
  int64_t vocab_size = 0;
  int64_t block_size = 0;
};

// The keys and values of every layer for one sequence of up to block_size tokens.
struct KvCache {
  std::vector<torch::Tensor> k, v;  // per layer: (1, n_head, block_size, head_size)
  int64_t length = 0;               // tokens held (their positions are 0 .. length - 1)
};

// LayerNorm with an optional bias (LibTorch's has both or neither).
struct NormImpl : torch::nn::Module {
  NormImpl(int64_t dim, bool bias);
  torch::Tensor forward(const torch::Tensor& x);
  int64_t dim_;
  torch::Tensor weight, bias;
};
TORCH_MODULE(Norm);

struct AttentionImpl : torch::nn::Module {
  explicit AttentionImpl(const GptShape& s);
  // (B, T, C) -> (B, T, C), added to residual (B, T, C) where one is given.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& residual = torch::Tensor());
  // x (1, T, C) at positions cache_k's first `past` entries are followed by; T new keys and
  // values are written after them. T == 1, or past == 0 (a prompt), as gen sample calls it.
  torch::Tensor forward_cached(const torch::Tensor& x, torch::Tensor& cache_k, torch::Tensor& cache_v, int64_t past);

  torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v);
  torch::Tensor attention_with_dropout(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                       double p, bool causal);
  torch::Tensor heads(const torch::Tensor& z) const;  // (B, T, C) -> (B, nh, T, hs)

  int64_t n_head;
  double dropout;
  torch::nn::Linear c_attn, c_proj;
  torch::Tensor future;  // (T, T) additive causal mask, -inf above the diagonal; not a buffer: not in checkpoints
};
TORCH_MODULE(Attention);

struct BlockImpl : torch::nn::Module {
  explicit BlockImpl(const GptShape& s);
  torch::Tensor forward(torch::Tensor x);  // (B, T, C)
  torch::Tensor forward_cached(torch::Tensor x, torch::Tensor& cache_k, torch::Tensor& cache_v, int64_t past);
  // The MLP of ln_2(x), dropout p applied in training, added to residual where one is given.
  torch::Tensor mlp(const torch::Tensor& x, const torch::Tensor& residual = torch::Tensor(), double p = 0.0);

  Norm ln_1;
  Attention attn;
  Norm ln_2;
  torch::nn::Linear c_fc, c_proj;
  double dropout;
};
TORCH_MODULE(Block);

struct GptImpl : torch::nn::Module {
  explicit GptImpl(const GptShape& s);
  torch::Tensor forward(const torch::Tensor& idx);  // (B, T) int64 -> logits (B, T, V)

  // An empty cache for one sequence, on the weights' device and in their dtype.
  KvCache new_cache() const;
  // idx (1, T): the next T tokens of the sequence the cache holds (T == 1, or an empty cache),
  // with cache.length + T <= block_size. Returns the logits of the last of them, (V), and
  // leaves the cache holding them too.
  torch::Tensor forward_cached(const torch::Tensor& idx, KvCache& cache);

  GptShape shape;
  torch::nn::Embedding tok_emb, pos_emb;
  torch::nn::ModuleList blocks;
  Norm ln_f;
};
TORCH_MODULE(Gpt);

}  // namespace gen
