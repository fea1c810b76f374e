// The Transformer family: a decoder-only GPT language model (models/gpt.h) trained with AdamW
// and the shared machinery; samples text with temperature, top-k and top-p from a prompt,
// through a KV cache unless asked not to.
#include <cmath>

#include "config/config.h"
#include "core/tokenizer.h"
#include "models/batch_random.h"
#include "models/generative_model.h"
#include "models/gpt.h"
#include "models/model_options.h"
#include "models/registry.h"
#include "optim/ema.h"
#include "optim/net_optimizer.h"
#include "util/errors.h"
#include "util/torch_version.h"

namespace gen {

namespace {

namespace F = torch::nn::functional;

GptShape shape_of(const TransformerOptions& o, const DataSpec& data) {
  GptShape s;
  static_cast<TransformerOptions&>(s) = o;
  s.vocab_size = data.text.vocab_size;
  s.block_size = data.text.block_size;
  return s;
}

std::string nanogpt_name(const std::string& name);

// The logits of the token after `ids`, one call per generated token.
// Without the cache (nanoGPT's sample): the full forward of the last block_size tokens, every
// time. With it: only the new token runs, attending to the kept keys and values; the logits
// equal the full forward's while the text fits block_size. Learned absolute positions cannot be
// shifted inside a cache, so when it is full the last block_size / 2 tokens are encoded again at
// positions 0.. and generation continues from there: beyond block_size each token sees between
// block_size / 2 and block_size tokens of context (the window of the uncached sampler always
// holds block_size), at the cost of one half-block forward per block_size / 2 tokens.
class NextLogits {
 public:
  NextLogits(Gpt& net, torch::Device device, bool cached)
      : net_(net), device_(device), cache_(cached ? net->new_cache() : KvCache{}) {}

  torch::Tensor operator()(const std::vector<int64_t>& ids) {  // -> (V) float on the CPU
    const int64_t block = net_->shape.block_size, n = int64_t(ids.size());
    if (cache_.k.empty()) return net_->forward(tail(ids, block)).select(1, -1).squeeze(0).to(torch::kCPU, torch::kFloat);
    torch::Tensor logits;
    if (cache_.length > 0 && cache_.length < block && fed_ + 1 == n) {
      logits = net_->forward_cached(tail(ids, 1), cache_);
    } else {  // the prompt, or a full cache: encode the last tokens afresh
      cache_.length = 0;
      logits = net_->forward_cached(tail(ids, fed_ == 0 ? block : std::max<int64_t>(1, block / 2)), cache_);
    }
    fed_ = n;
    return logits.to(torch::kCPU, torch::kFloat);
  }

 private:
  torch::Tensor tail(const std::vector<int64_t>& ids, int64_t most) const {  // (1, T) of the last <= most ids
    const int64_t start = std::max<int64_t>(0, int64_t(ids.size()) - most);
    return torch::tensor(std::vector<int64_t>(ids.begin() + start, ids.end()), torch::kInt64).to(device_).unsqueeze(0);
  }

  Gpt& net_;
  torch::Device device_;
  KvCache cache_;  // no layers: uncached
  int64_t fed_ = 0;  // ids the cache has seen (the last cache_.length of them are in it)
};

class Transformer final : public GenerativeModel {
 public:
  Transformer(const ModelContext& ctx, const TransformerOptions& o)
      : device_(ctx.device),
        tokenizer_(Tokenizer::restore(ctx.data.text.tokenizer, ctx.data.text.vocabulary)),
        net_(on_device(Gpt(shape_of(o, ctx.data)), ctx.device)),
        opt_(*net_, ctx.config, /*use_ema=*/true, ctx.precision),
        accumulate_(ctx.config.train.accumulate),
        token_bytes_(torch::tensor(tokenizer_.token_bytes(), torch::kFloat).to(ctx.device)) {}

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
    // Bits per byte of text: the summed loss over the bytes the target tokens stand for, weighted
    // by those bytes, so that over a split it is the split's bits over its bytes, whatever the
    // tokenizer. On the device, like every metric: nothing is read back here.
    const torch::Tensor bytes = token_bytes_.index_select(0, batch.y.reshape({-1})).sum();
    const torch::Tensor bpb = loss.to(torch::kFloat) * (double(batch.y.numel()) / std::log(2.0)) / bytes;
    return {{"loss", loss}, {"bpc", loss / std::log(2.0)}, {"bpb", bpb, Better::kLower, bytes}};
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
    NextLogits next(net_, device_, text_request.kv_cache);
    for (int64_t i = 0; i < tokens; ++i) {
      ids.push_back(pick(next(ids), text_request, gen));
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
    const GptShape& s = net_->shape;
    const int64_t vocab = s.vocab_size, block = s.block_size;
    out.args = {{"n_layer", s.n_layer}, {"n_head", s.n_head},   {"n_embd", s.n_embd},    {"block_size", block},
                {"bias", s.bias},       {"vocab_size", vocab}, {"dropout", s.dropout}};
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

  // One token from logits (V): temperature (0: the most likely), then top-k, then top-p (nucleus),
  // then a draw.
  static int64_t pick(torch::Tensor logits, const TextRequest& r, at::Generator& gen) {
    if (r.temperature == 0) return logits.argmax().item<int64_t>();  // greedy: the first of equal maxima
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

  torch::Device device_;
  Tokenizer tokenizer_;
  Gpt net_;
  NetOptimizer opt_;
  int64_t accumulate_;
  torch::Tensor token_bytes_;  // (V) float on the device: bytes of text per id
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
    throw ConfigError(ctx.config.source.file + ": model.kind transformer needs text data (data.kind: text or tokens)");
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
