// A decoder-only Transformer language model (GPT-2 / nanoGPT shape): token + learned position
// embeddings, pre-LayerNorm blocks of causal multi-head self-attention and a 4x GELU MLP,
// optional biases, dropout, the output head tied to the token embedding, init std 0.02 with
// residual projections scaled by 1/sqrt(2 * n_layer). Trained with AdamW and the shared
// machinery; samples text with temperature, top-k and top-p from a prompt.
#include <cmath>

#include "config/config.h"
#include "core/tokenizer.h"
#include "models/batch_random.h"
#include "models/generative_model.h"
#include "models/model_options.h"
#include "models/registry.h"
#include "optim/ema.h"
#include "optim/net_optimizer.h"
#include "util/errors.h"
#include "util/torch_version.h"

namespace gen {

namespace {

namespace F = torch::nn::functional;

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

// LayerNorm with an optional bias (LibTorch's has both or neither).
struct NormImpl : torch::nn::Module {
  NormImpl(int64_t dim, bool bias) : dim_(dim) {
    weight = register_parameter("weight", torch::ones({dim}));
    if (bias) this->bias = register_parameter("bias", torch::zeros({dim}));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return F::layer_norm(x, F::LayerNormFuncOptions({dim_}).weight(weight).bias(bias).eps(1e-5));
  }
  int64_t dim_;
  torch::Tensor weight, bias;
};
TORCH_MODULE(Norm);

struct AttentionImpl : torch::nn::Module {
  explicit AttentionImpl(const TransformerOptions& o)
      : n_head(o.n_head),
        dropout(o.dropout),
        c_attn(register_module("c_attn",
                               torch::nn::Linear(torch::nn::LinearOptions(o.n_embd, 3 * o.n_embd).bias(o.bias)))),
        c_proj(
            register_module("c_proj", torch::nn::Linear(torch::nn::LinearOptions(o.n_embd, o.n_embd).bias(o.bias)))) {}

  torch::Tensor forward(const torch::Tensor& x) {  // (B, T, C) -> (B, T, C)
    const int64_t b = x.size(0), t = x.size(1), c = x.size(2), hs = c / n_head;
    auto qkv = c_attn->forward(x).split(c, 2);
    auto heads = [&](const torch::Tensor& z) { return z.view({b, t, n_head, hs}).transpose(1, 2); };  // (B, nh, T, hs)
    const torch::Tensor q = heads(qkv[0]), k = heads(qkv[1]), v = heads(qkv[2]);
    const double p = is_training() ? dropout : 0.0;
    torch::Tensor y = p > 0 ? attention_with_dropout(q, k, v, p) : causal_attention(q, k, v);  // (B, nh, T, hs)
    y = y.transpose(1, 2).contiguous().view({b, t, c});
    return batch_dropout(c_proj->forward(y), p, is_training());
  }

  // softmax(q k^T / sqrt(hs) + causal mask) v, with LibTorch's fused kernels where it has them.
  torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
#if GEN_TORCH_AT_LEAST(2, 0)
    return at::scaled_dot_product_attention(q, k, v, {}, 0.0, /*is_causal=*/true);
#else
    return attention_with_dropout(q, k, v, 0.0);
#endif
  }

  // The same product spelled out, dropout on the attention weights drawn through
  // batch_random.h: a fused kernel would draw its mask inside, per rank, so data-parallel
  // ranks could not train what one process trains.
  torch::Tensor attention_with_dropout(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, double p) {
    const int64_t t = q.size(-2);
    torch::Tensor att = torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(double(q.size(-1))));  // (B, nh, T, T)
    if (!future.defined() || future.size(0) < t || future.device() != q.device()) {
      future = torch::ones({t, t}, q.options().dtype(torch::kBool)).triu(1);  // made once, not every step
    }
    att = torch::softmax(att.masked_fill(future.narrow(0, 0, t).narrow(1, 0, t), -INFINITY), -1);
    return torch::matmul(batch_dropout(att, p, p > 0), v);
  }

  int64_t n_head;
  double dropout;
  torch::nn::Linear c_attn, c_proj;
  torch::Tensor future;  // (T, T) causal mask, true above the diagonal; not a buffer: checkpoints do not carry it
};
TORCH_MODULE(Attention);

struct BlockImpl : torch::nn::Module {
  explicit BlockImpl(const TransformerOptions& o)
      : ln_1(register_module("ln_1", Norm(o.n_embd, o.bias))),
        attn(register_module("attn", Attention(o))),
        ln_2(register_module("ln_2", Norm(o.n_embd, o.bias))),
        c_fc(register_module("c_fc", torch::nn::Linear(torch::nn::LinearOptions(o.n_embd, 4 * o.n_embd).bias(o.bias)))),
        c_proj(register_module("c_proj",
                               torch::nn::Linear(torch::nn::LinearOptions(4 * o.n_embd, o.n_embd).bias(o.bias)))),
        dropout(o.dropout) {}

  torch::Tensor forward(torch::Tensor x) {  // (B, T, C)
    x = x + attn->forward(ln_1->forward(x));
    const torch::Tensor h = c_proj->forward(F::gelu(c_fc->forward(ln_2->forward(x))));
    return x + batch_dropout(h, dropout, is_training());
  }

  Norm ln_1;
  Attention attn;
  Norm ln_2;
  torch::nn::Linear c_fc, c_proj;
  double dropout;
};
TORCH_MODULE(Block);

struct GptImpl : torch::nn::Module {
  GptImpl(const TransformerOptions& o, int64_t vocab, int64_t block)
      : block_size(block),
        dropout(o.dropout),
        tok_emb(register_module("tok_emb", torch::nn::Embedding(vocab, o.n_embd))),
        pos_emb(register_module("pos_emb", torch::nn::Embedding(block, o.n_embd))),
        blocks(register_module("blocks", torch::nn::ModuleList())),
        ln_f(register_module("ln_f", Norm(o.n_embd, o.bias))) {
    for (int64_t i = 0; i < o.n_layer; ++i) blocks->push_back(Block(o));
    torch::NoGradGuard no_grad;
    const double residual_std = 0.02 / std::sqrt(2.0 * double(o.n_layer));
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

  torch::Tensor forward(const torch::Tensor& idx) {  // (B, T) int64 -> logits (B, T, V)
    const int64_t t = idx.size(1);
    const torch::Tensor pos = torch::arange(t, torch::TensorOptions().dtype(torch::kInt64).device(idx.device()));
    torch::Tensor x = tok_emb->forward(idx) + pos_emb->forward(pos);  // (B, T, C)
    x = batch_dropout(x, dropout, is_training());
    for (const auto& b : *blocks) x = b->as<Block>()->forward(x);
    return F::linear(ln_f->forward(x), tok_emb->weight);  // head tied to the token embedding
  }

  int64_t block_size;
  double dropout;
  torch::nn::Embedding tok_emb, pos_emb;
  torch::nn::ModuleList blocks;
  Norm ln_f;
};
TORCH_MODULE(Gpt);

std::string nanogpt_name(const std::string& name);

class Transformer final : public GenerativeModel {
 public:
  Transformer(const ModelContext& ctx, const TransformerOptions& o)
      : options_(o),
        device_(ctx.device),
        tokenizer_(Tokenizer::restore(ctx.data.text.tokenizer, ctx.data.text.vocabulary)),
        net_(on_device(Gpt(options_, ctx.data.text.vocab_size, ctx.data.text.block_size), ctx.device)),
        opt_(*net_, ctx.config, /*use_ema=*/true, ctx.precision),
        accumulate_(ctx.config.train.accumulate) {}

  void begin_step(int64_t /*step*/, double lr) override { opt_.set_lr(lr); }
  bool rank_dependent_draws() const override { return false; }  // dropout through batch_random.h
  int64_t batch_chunks() const override { return accumulate_; }

  StepResult train_step(const Batch& batch) override {
    net_->train();
    return opt_.train(batch, accumulate_, [&](const Batch& micro) {
      const torch::Tensor loss = loss_of(micro);
      return std::make_pair(loss, Metrics{{"loss", loss.detach()}});
    });
  }

  // With the weights gen sample uses: the EMA when there is one (unless --no-ema).
  Metrics evaluate(const Batch& batch) override {
    InferenceScope inference(*net_, opt_.ema_if(evaluate_with_ema_));
    const torch::Tensor loss = loss_of(batch);
    return {{"loss", loss}, {"bpc", loss / std::log(2.0)}};
  }

  std::vector<SampleMode> sample_modes() const override { return {SampleMode::kText}; }

  SampleOutput sample(const SampleRequest& request) override {
    InferenceScope inference(*net_, opt_.ema_if(request.use_ema));
    const TextRequest& text_request = request.text;
    std::vector<int64_t> ids = tokenizer_.encode(text_request.prompt);
    if (ids.empty()) ids.push_back(0);  // no prompt: start from the first symbol (newline in Shakespeare)
    const size_t prompt_len = text_request.prompt.empty() ? 0 : ids.size();
    auto gen = at::detail::createCPUGenerator(request.seed);
    const int64_t tokens = request.fixed_noise ? std::min<int64_t>(text_request.tokens, 200) : text_request.tokens;
    if (text_request.on_text) text_request.on_text(text_request.prompt);
    for (int64_t i = 0; i < tokens; ++i) {
      const int64_t start = std::max<int64_t>(0, int64_t(ids.size()) - net_->block_size);
      const torch::Tensor ctx = torch::tensor(std::vector<int64_t>(ids.begin() + start, ids.end()), torch::kInt64)
                                    .to(device_)
                                    .unsqueeze(0);                                                        // (1, T)
      torch::Tensor logits = net_->forward(ctx).select(1, -1).squeeze(0).to(torch::kCPU, torch::kFloat);  // (V)
      ids.push_back(pick(logits, text_request, gen));
      if (text_request.on_text) text_request.on_text(tokenizer_.decode({ids.back()}));
    }
    std::string text = tokenizer_.decode(std::vector<int64_t>(ids.begin() + int64_t(prompt_len), ids.end()));
    return {torch::Tensor(), 0, text_request.prompt + text, {}, {}};
  }

  void save(torch::serialize::OutputArchive& archive) override { save_trained(archive, "net", "optim", *net_, opt_); }
  void load(torch::serialize::InputArchive& archive) override { load_trained(archive, "net", "optim", *net_, opt_); }

  std::vector<std::pair<std::string, int64_t>> parameter_counts() const override {
    return {{"transformer", count_parameters(*net_)}};
  }

  // nanoGPT's GPT: its key names (blocks.N.c_fc -> transformer.h.N.mlp.c_fc, ...), its
  // GPTConfig as model_args, and lm_head.weight written out although it is the token
  // embedding (nanoGPT's state_dict lists both, so a strict load_state_dict needs both).
  std::vector<ExportedNetwork> exported_networks(bool use_ema) override {
    InferenceScope inference(*net_, opt_.ema_if(use_ema));
    ExportedNetwork out;
    out.name = "model";
    out.reference = "nanoGPT model.GPT";
    out.tensors = state_dict_renamed(*net_, nanogpt_name);
    out.tensors.emplace_back("lm_head.weight", probe_copy(net_->tok_emb->weight));
    const int64_t vocab = net_->tok_emb->weight.size(0), block = net_->block_size;
    out.args = {{"n_layer", options_.n_layer}, {"n_head", options_.n_head}, {"n_embd", options_.n_embd},
                {"block_size", block},         {"bias", options_.bias},     {"vocab_size", vocab},
                {"dropout", options_.dropout}};
    // What GPT.forward(idx, targets) returns: the logits at every position and the mean loss.
    auto gen = at::detail::createCPUGenerator(0);
    const torch::Tensor idx = torch::randint(vocab, {2, block}, gen, torch::kInt64);
    const torch::Tensor targets = torch::randint(vocab, {2, block}, gen, torch::kInt64);
    const torch::Tensor logits = net_->forward(idx.to(device_));
    const torch::Tensor loss = F::cross_entropy(logits.view({-1, vocab}), targets.to(device_).view({-1}));
    out.probe = {{"input", idx}, {"targets", targets}, {"logits", probe_copy(logits)}, {"loss", probe_copy(loss)}};
    return {out};
  }

 private:
  torch::Tensor loss_of(const Batch& batch) {
    const torch::Tensor logits = net_->forward(batch.x);  // (B, T, V)
    return F::cross_entropy(logits.view({-1, logits.size(-1)}), batch.y.reshape({-1}));
  }

  // One token from logits (V): temperature, then top-k, then top-p (nucleus), then a draw.
  static int64_t pick(torch::Tensor logits, const TextRequest& r, at::Generator& gen) {
    logits = logits / r.temperature;
    if (r.top_k > 0 && r.top_k < logits.size(0)) {
      const torch::Tensor kth = std::get<0>(logits.topk(r.top_k)).select(0, r.top_k - 1);
      logits = logits.masked_fill(logits < kth, -INFINITY);
    }
    torch::Tensor probs = torch::softmax(logits, 0);
    if (r.top_p < 1.0) {
      auto [sorted, order] = probs.sort(0, /*descending=*/true);
      const torch::Tensor before = sorted.cumsum(0) - sorted;  // mass strictly before each token
      sorted = sorted.masked_fill(before > r.top_p, 0.0);      // keeps at least the top token
      probs = torch::zeros_like(probs).scatter(0, order, sorted);
    }
    return torch::multinomial(probs, 1, false, gen).item<int64_t>();
  }

  TransformerOptions options_;
  torch::Device device_;
  Tokenizer tokenizer_;
  Gpt net_;
  NetOptimizer opt_;
  int64_t accumulate_;
};

// gen's parameter name -> nanoGPT's: tok_emb/pos_emb/ln_f under transformer.(wte|wpe|ln_f),
// blocks.N under transformer.h.N, with the block's MLP layers under mlp.
std::string nanogpt_name(const std::string& name) {
  std::vector<std::string> p = name_parts(name);
  if (p[0] == "tok_emb") return "transformer.wte." + p[1];
  if (p[0] == "pos_emb") return "transformer.wpe." + p[1];
  if (p[0] == "ln_f") return "transformer.ln_f." + p[1];
  std::string out = "transformer.h." + p[1] + ".";
  if (p[2] == "c_fc" || p[2] == "c_proj") out += "mlp.";
  for (size_t i = 2; i < p.size(); ++i) out += p[i] + (i + 1 < p.size() ? "." : "");
  return out;
}

std::unique_ptr<GenerativeModel> build_transformer(const ModelContext& ctx, const TransformerOptions& o) {
  if (o.n_embd % o.n_head != 0) {
    throw ConfigError(ctx.config.source.file + ": model.n_head (" + std::to_string(o.n_head) +
                      ") must divide model.n_embd (" + std::to_string(o.n_embd) + ")");
  }
  if (!ctx.data.is_text() || ctx.data.text.vocab_size <= 0) {
    throw ConfigError(ctx.config.source.file + ": model.kind transformer needs text data (data.kind: text)");
  }
  return std::make_unique<Transformer>(ctx, o);
}

}  // namespace

void register_transformer() {
  register_family<TransformerOptions>(
      "transformer", "decoder-only GPT language model (text)",
      [](const TransformerOptions&) { return CpuWorkload::kMatmul; }, build_transformer);
}

}  // namespace gen
