#include "models/gpt.h"

#include <cmath>

#include "models/attention_kernel.h"
#include "models/batch_random.h"
#include "models/causal_attention_cpu.h"
#include "models/gelu_cpu.h"
#include "models/layer_norm_cpu.h"
#include "models/linear_bf16_cpu.h"
#include "util/autocast.h"
#include "util/torch_version.h"

namespace gen {

namespace F = torch::nn::functional;

NormImpl::NormImpl(int64_t dim, bool bias) : dim_(dim) {
  weight = register_parameter("weight", torch::ones({dim}));
  if (bias) this->bias = register_parameter("bias", torch::zeros({dim}));
}

torch::Tensor NormImpl::forward(const torch::Tensor& x) {
  // gen's kernel for float32 on the CPU (models/layer_norm_cpu.h): under autocast it writes
  // bf16 itself, the type the product after every norm here reads.
  if (layer_norm_cpu_fits(x, weight, bias)) {
    const bool bf16 = active_autocast_type(x.device().type()) == torch::kBFloat16;
    return layer_norm_cpu(x, weight, bias, 1e-5, bf16 ? torch::kBFloat16 : torch::kFloat);
  }
  return F::layer_norm(x, F::LayerNormFuncOptions({dim_}).weight(weight).bias(bias).eps(1e-5));
}

namespace {

// Whether gen's own bf16 product tiles (models/linear_bf16_cpu.h) take x w^T: bf16 autocast on
// a CPU with AVX512_BF16 (they round w and write its gradient in float themselves).
bool bf16_tiles_take(const torch::Tensor& x, const torch::Tensor& weight) {
  return active_autocast_type(x.device().type()) == torch::kBFloat16 &&
         linear_bf16_cpu_fits(x, weight, torch::Tensor());
}

// x w^T.
torch::Tensor product(const torch::Tensor& x, const torch::Tensor& weight) {
  return bf16_tiles_take(x, weight) ? linear_bf16_cpu(x, weight) : F::linear(x, weight);
}

torch::Tensor project(torch::nn::Linear& layer, const torch::Tensor& x) {
  return layer->bias.defined() ? layer->forward(x) : product(x, layer->weight);
}

// residual + dropout(layer(x)) (dropout p in training; no residual: the dropped projection
// alone). Where the bf16 tiles take the layer and nothing is dropped, the sum is written by the
// product itself, in float (the residual stream's type under autocast): no add op, no bf16
// rounding of the projection before it.
torch::Tensor project_onto(torch::nn::Linear& layer, const torch::Tensor& x, const torch::Tensor& residual, double p,
                           bool training) {
  const bool drops = training && p > 0;
  if (residual.defined() && !drops && !layer->bias.defined() && residual.scalar_type() == torch::kFloat &&
      bf16_tiles_take(x, layer->weight)) {
    return linear_bf16_cpu(x, layer->weight, residual);
  }
  const torch::Tensor y = batch_dropout(project(layer, x), p, training);
  return residual.defined() ? residual + y : y;
}

}  // namespace

AttentionImpl::AttentionImpl(const GptShape& s)
    : n_head(s.n_head),
      dropout(s.dropout),
      c_attn(register_module("c_attn",
                             torch::nn::Linear(torch::nn::LinearOptions(s.n_embd, 3 * s.n_embd).bias(s.bias)))),
      c_proj(register_module("c_proj", torch::nn::Linear(torch::nn::LinearOptions(s.n_embd, s.n_embd).bias(s.bias)))) {
}

torch::Tensor AttentionImpl::heads(const torch::Tensor& z) const {
  return z.view({z.size(0), z.size(1), n_head, z.size(2) / n_head}).transpose(1, 2);
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& residual) {
  const int64_t b = x.size(0), t = x.size(1), c = x.size(2);
  const torch::Tensor qkv_fused = project(c_attn, x);
  const double p = is_training() ? dropout : 0.0;
  torch::Tensor y;
  // gen's CPU kernel wherever it takes the case (the CPU, up to 256 tokens): faster there than
  // LibTorch's fused kernel and the plain ops, in float32 and bf16 (docs/RESULTS.md "Causal
  // attention as one CPU kernel"). Attention dropout keeps the plain ops (batch_random's masks).
  if (p == 0 && causal_attention_cpu_fits(qkv_fused, n_head)) {
    y = causal_attention_cpu(qkv_fused, n_head);  // (B, T, C)
  } else {
    auto qkv = qkv_fused.split(c, 2);
    const torch::Tensor q = heads(qkv[0]), k = heads(qkv[1]), v = heads(qkv[2]);
    y = p > 0 ? attention_with_dropout(q, k, v, p, true) : causal_attention(q, k, v);  // (B, nh, T, hs)
    y = y.transpose(1, 2).contiguous().view({b, t, c});
  }
  return project_onto(c_proj, y, residual, p, is_training());
}

torch::Tensor AttentionImpl::forward_cached(const torch::Tensor& x, torch::Tensor& cache_k, torch::Tensor& cache_v,
                                            int64_t past) {
  const int64_t t = x.size(1), c = x.size(2);
  auto qkv = project(c_attn, x).split(c, 2);
  cache_k.narrow(2, past, t).copy_(heads(qkv[1]));
  cache_v.narrow(2, past, t).copy_(heads(qkv[2]));
  const torch::Tensor q = heads(qkv[0]);
  const torch::Tensor k = cache_k.narrow(2, 0, past + t), v = cache_v.narrow(2, 0, past + t);
  // One new token sees every key before it: no mask. A prompt (past == 0) is the causal case.
  torch::Tensor y = t == 1 ?
#if GEN_TORCH_AT_LEAST(2, 0)
                           at::scaled_dot_product_attention(q, k, v)
#else
                           attention_with_dropout(q, k, v, 0.0, false)
#endif
                           : causal_attention(q, k, v);
  y = y.transpose(1, 2).contiguous().view({1, t, c});
  return project(c_proj, y);
}

// softmax(q k^T / sqrt(hs) + causal mask) v, with LibTorch's fused kernel where it is the faster
// (models/attention_kernel.h).
torch::Tensor AttentionImpl::causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
#if GEN_TORCH_AT_LEAST(2, 0)
  if (!plain_attention_is_faster(q)) return at::scaled_dot_product_attention(q, k, v, {}, 0.0, /*is_causal=*/true);
#endif
  return attention_with_dropout(q, k, v, 0.0, true);
}

// The same product spelled out, dropout on the attention weights drawn through
// batch_random.h: a fused kernel would draw its mask inside, per rank, so data-parallel
// ranks could not train what one process trains.
torch::Tensor AttentionImpl::attention_with_dropout(const torch::Tensor& q, const torch::Tensor& k,
                                                    const torch::Tensor& v, double p, bool causal) {
  const int64_t t = q.size(-2);
  if (causal && (!future.defined() || future.size(0) < t || future.device() != q.device() ||
                 future.scalar_type() != q.scalar_type())) {
    future = torch::full({t, t}, -INFINITY, q.options()).triu(1);  // made once, not every step
  }
  const torch::Tensor mask = causal ? future.narrow(0, 0, t).narrow(1, 0, t) : torch::Tensor();
  return torch::matmul(batch_dropout(attention_weights(q, k, mask), p, p > 0), v);
}

BlockImpl::BlockImpl(const GptShape& s)
    : ln_1(register_module("ln_1", Norm(s.n_embd, s.bias))),
      attn(register_module("attn", Attention(s))),
      ln_2(register_module("ln_2", Norm(s.n_embd, s.bias))),
      c_fc(register_module("c_fc", torch::nn::Linear(torch::nn::LinearOptions(s.n_embd, 4 * s.n_embd).bias(s.bias)))),
      c_proj(
          register_module("c_proj", torch::nn::Linear(torch::nn::LinearOptions(4 * s.n_embd, s.n_embd).bias(s.bias)))),
      dropout(s.dropout) {}

torch::Tensor BlockImpl::mlp(const torch::Tensor& x, const torch::Tensor& residual, double p) {
  const torch::Tensor normed = ln_2->forward(x);
  torch::Tensor activated;
  if (!c_fc->bias.defined() && bf16_tiles_take(normed, c_fc->weight)) {
    activated = linear_gelu_bf16_cpu(normed, c_fc->weight);  // the GELU applied by the product's tiles
  } else {
    const torch::Tensor h = project(c_fc, normed);
    // On the CPU, gen's GELU (models/gelu_cpu.h): the same function, faster than LibTorch's.
    activated = gelu_cpu_fits(h) ? gelu_cpu(h) : F::gelu(h);
  }
  return project_onto(c_proj, activated, residual, p, is_training());
}

torch::Tensor BlockImpl::forward(torch::Tensor x) {
  x = attn->forward(ln_1->forward(x), x);
  return mlp(x, x, dropout);
}

torch::Tensor BlockImpl::forward_cached(torch::Tensor x, torch::Tensor& cache_k, torch::Tensor& cache_v, int64_t past) {
  x = x + attn->forward_cached(ln_1->forward(x), cache_k, cache_v, past);
  return mlp(x, x);
}

GptImpl::GptImpl(const GptShape& s)
    : shape(s),
      tok_emb(register_module("tok_emb", torch::nn::Embedding(s.vocab_size, s.n_embd))),
      pos_emb(register_module("pos_emb", torch::nn::Embedding(s.block_size, s.n_embd))),
      blocks(register_module("blocks", torch::nn::ModuleList())),
      ln_f(register_module("ln_f", Norm(s.n_embd, s.bias))) {
  for (int64_t i = 0; i < s.n_layer; ++i) blocks->push_back(Block(s));
  torch::NoGradGuard no_grad;
  const double residual_std = 0.02 / std::sqrt(2.0 * double(s.n_layer));
  for (const auto& item : named_parameters()) {
    const std::string& name = item.key();
    torch::Tensor p = item.value();
    if (p.dim() < 2) continue;  // LayerNorm weights stay 1, biases 0
    const bool residual = name.size() > 13 && name.compare(name.size() - 13, 13, "c_proj.weight") == 0;
    p.normal_(0.0, residual ? residual_std : 0.02);
  }
  for (const auto& item : named_parameters()) {
    if (item.key().find(".bias") != std::string::npos && item.value().dim() == 1 &&
        item.key().find("ln_") == std::string::npos) {
      item.value().zero_();
    }
  }
}

torch::Tensor GptImpl::forward(const torch::Tensor& idx) {
  const int64_t t = idx.size(1);
  const torch::Tensor pos = torch::arange(t, torch::TensorOptions().dtype(torch::kInt64).device(idx.device()));
  torch::Tensor x = tok_emb->forward(idx) + pos_emb->forward(pos);  // (B, T, C)
  x = batch_dropout(x, shape.dropout, is_training());
  for (const auto& b : *blocks) x = b->as<Block>()->forward(x);
  return product(ln_f->forward(x), tok_emb->weight);  // head tied to the token embedding
}

KvCache GptImpl::new_cache() const {
  KvCache cache;
  const torch::Tensor& w = tok_emb->weight;
  for (int64_t i = 0; i < shape.n_layer; ++i) {
    cache.k.push_back(torch::empty({1, shape.n_head, shape.block_size, shape.n_embd / shape.n_head}, w.options()));
    cache.v.push_back(torch::empty_like(cache.k.back()));
  }
  return cache;
}

torch::Tensor GptImpl::forward_cached(const torch::Tensor& idx, KvCache& cache) {
  const int64_t t = idx.size(1), past = cache.length;
  TORCH_CHECK(t == 1 || past == 0, "forward_cached: several tokens only into an empty cache");
  TORCH_CHECK(past + t <= shape.block_size, "forward_cached: ", past + t, " tokens exceed block_size ",
              shape.block_size);
  const torch::Tensor pos = torch::arange(past, past + t, idx.options());
  torch::Tensor x = tok_emb->forward(idx) + pos_emb->forward(pos);  // (1, T, C)
  for (size_t i = 0; i < blocks->size(); ++i) {
    x = blocks[i]->as<Block>()->forward_cached(x, cache.k[i], cache.v[i], past);
  }
  cache.length = past + t;
  return product(ln_f->forward(x.select(1, t - 1)), tok_emb->weight).squeeze(0);  // (V)
}

}  // namespace gen
