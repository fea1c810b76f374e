// Variational autoencoder (Kingma & Welling 2014). `arch: mlp` with hidden 400 and latent 20
// on 28x28x1 is the pytorch/examples reference (784-400-20, ReLU, 652,824 parameters);
// `arch: conv` is a small strided-conv encoder/decoder. Likelihood Bernoulli (logits, summed
// BCE) or Gaussian (learned or fixed scale); optional dynamic binarization; beta-weighted KL
// with linear warm-up. Losses are reported per image in nats.
#include <cmath>

#include "config/config.h"
#include "models/batch_random.h"
#include "models/capabilities.h"
#include "models/generative_model.h"
#include "models/memory_format.h"
#include "models/model_options.h"
#include "models/noise.h"
#include "models/registry.h"
#include "optim/ema.h"
#include "optim/net_optimizer.h"
#include "util/errors.h"

namespace gen {

enum class VaeArch { kConv, kMlp };
template <>
struct EnumNames<VaeArch> {
  static constexpr std::array<std::string_view, 2> names{"conv", "mlp"};
};
enum class Likelihood { kBernoulli, kGaussian };
template <>
struct EnumNames<Likelihood> {
  static constexpr std::array<std::string_view, 2> names{"bernoulli", "gaussian"};
};
enum class Binarize { kNone, kDynamic };
template <>
struct EnumNames<Binarize> {
  static constexpr std::array<std::string_view, 2> names{"none", "dynamic"};
};

namespace {

namespace F = torch::nn::functional;
namespace nn = torch::nn;

struct VaeOptions {
  VaeArch arch = VaeArch::kConv;
  int64_t hidden = 400;
  int64_t latent_dim = 20;
  int64_t channels = 32;
  Likelihood likelihood = Likelihood::kBernoulli;
  bool learn_scale = true;
  double scale = 0.1;
  Binarize binarize = Binarize::kNone;
  double beta = 1.0;
  int64_t kl_warmup_steps = 0;

  template <class V>
  void visit(V& v) {
    v("arch", arch, "encoder/decoder shape");
    v("hidden", hidden, Doc("width of the hidden layer (mlp) or of the dense layer (conv)").range(1, 65536));
    v("latent_dim", latent_dim, Doc("size of z").range(1, 4096));
    v("channels", channels,
      Doc("conv: channels of the first conv layer (the second has twice as many)").range(1, 1024));
    v("likelihood", likelihood, "p(x|z): bernoulli (pixels in [0,1] as probabilities) or gaussian");
    v("learn_scale", learn_scale, "gaussian: learn one log-scale for all pixels (else fixed at scale)");
    v("scale", scale, Doc("gaussian: the (initial) standard deviation of p(x|z)").range(1e-4, 10));
    v("binarize", binarize, "dynamic: resample binary pixels from the intensities every step (binarized MNIST)");
    v("beta", beta, Doc("weight of the KL term (beta-VAE); 1 = the ELBO").range(0, 1000));
    v("kl_warmup_steps", kl_warmup_steps,
      Doc("ramp the KL weight linearly from 0 to beta over these steps").range(0, kMaxSteps));
  }
};

struct VaeNetImpl : nn::Module {
  VaeNetImpl(const VaeOptions& o, const DataSpec& d)
      : o_(o), c_(d.shape.channels), h_(d.shape.height), w_(d.shape.width) {
    const int64_t pixels = c_ * h_ * w_;
    if (o.arch == VaeArch::kMlp) {
      encoder = register_module("encoder", nn::Sequential(nn::Flatten(), nn::Linear(pixels, o.hidden), nn::ReLU()));
      decoder = register_module(
          "decoder", nn::Sequential(nn::Linear(o.latent_dim, o.hidden), nn::ReLU(), nn::Linear(o.hidden, pixels)));
    } else {
      const int64_t c1 = o.channels, c2 = 2 * o.channels, flat = c2 * (h_ / 4) * (w_ / 4);
      auto conv = [](int64_t i, int64_t out) { return nn::Conv2d(nn::Conv2dOptions(i, out, 4).stride(2).padding(1)); };
      auto deconv = [](int64_t i, int64_t out) {
        return nn::ConvTranspose2d(nn::ConvTranspose2dOptions(i, out, 4).stride(2).padding(1));
      };
      encoder = register_module("encoder", nn::Sequential(conv(c_, c1), nn::ReLU(), conv(c1, c2), nn::ReLU(),
                                                          nn::Flatten(), nn::Linear(flat, o.hidden), nn::ReLU()));
      decoder = register_module(
          "decoder", nn::Sequential(nn::Linear(o.latent_dim, o.hidden), nn::ReLU(), nn::Linear(o.hidden, flat),
                                    nn::ReLU(), nn::Unflatten(nn::UnflattenOptions(1, {c2, h_ / 4, w_ / 4})),
                                    deconv(c2, c1), nn::ReLU(), deconv(c1, c_)));
    }
    mu = register_module("mu", nn::Linear(o.hidden, o.latent_dim));
    logvar = register_module("logvar", nn::Linear(o.hidden, o.latent_dim));
    log_scale = register_parameter("log_scale", torch::full({1}, std::log(o.scale)),
                                   o.learn_scale && o.likelihood == Likelihood::kGaussian);
    input_weight = encoder->parameters().front();
  }

  std::pair<torch::Tensor, torch::Tensor> encode(const torch::Tensor& x) {  // (B, C, H, W) in [0, 1] -> (B, Z) x2
    const torch::Tensor h = encoder->forward(like_weights(x, input_weight));
    return {mu->forward(h), logvar->forward(h)};
  }
  torch::Tensor decode(const torch::Tensor& z) {  // (B, Z) -> (B, C, H, W): logits (bernoulli) or means (gaussian)
    return decoder->forward(z).view({z.size(0), c_, h_, w_});
  }

  VaeOptions o_;
  int64_t c_, h_, w_;
  nn::Sequential encoder{nullptr}, decoder{nullptr};
  nn::Linear mu{nullptr}, logvar{nullptr};
  torch::Tensor log_scale;
  // The encoder's first weight (the same tensor through .to() and layout changes): the layout
  // the input takes (models/memory_format.h). Looked up once, not every forward.
  torch::Tensor input_weight;
};
TORCH_MODULE(VaeNet);

// runtime.memory_format auto for the conv arch, from measurement (docs/RESULTS.md, "Memory
// format"): channels-first everywhere: on the CPU channels-last measured slower, in fp32 and bf16; not
// measured on CUDA yet.
bool vae_prefers_channels_last(const ModelContext& /*ctx*/) { return false; }

class Vae final : public GenerativeModel, public LikelihoodModel {
 public:
  Vae(const ModelContext& ctx, const VaeOptions& o)
      : o_(o),
        device_(ctx.device),
        channels_last_(o.arch == VaeArch::kConv && use_channels_last(ctx.config, vae_prefers_channels_last(ctx))),
        net_(laid_out(on_device(VaeNet(o_, ctx.data), ctx.device), channels_last_)),
        opt_(*net_, ctx.config, /*use_ema=*/true, ctx.precision),
        accumulate_(ctx.config.train.accumulate),
        noise_bank_(noise_bank(uint64_t(ctx.config.seed) + 0x5eed, ctx.config.train.n_samples, o_.latent_dim)) {}

  void begin_step(int64_t step, double lr) override {
    opt_.set_lr(lr);
    kl_weight_ =
        o_.kl_warmup_steps > 0 ? o_.beta * std::min(1.0, double(step + 1) / double(o_.kl_warmup_steps)) : o_.beta;
  }

  StepResult train_step(const Batch& batch) override {
    net_->train();
    return opt_.train(batch, accumulate_, [&](const Batch& micro) {
      const Terms t = terms(prepare(micro.x, /*training=*/true));
      const torch::Tensor loss = t.recon + kl_weight_ * t.kl;
      return std::make_pair(
          loss, Metrics{{"loss", (t.recon + t.kl).detach()}, {"recon", t.recon.detach()}, {"kl", t.kl.detach()}});
    });
  }

  // Negative ELBO per image (nats) with its two terms, on the data as the model sees it
  // (dynamic binarization uses a fixed draw so evaluations are comparable), with the weights
  // `gen sample` uses (the EMA when there is one, unless gen eval --no-ema).
  Metrics evaluate(const Batch& batch) override {
    InferenceScope inference(*net_, opt_.ema_if(evaluate_with_ema_));
    const Terms t = terms(prepare(batch.x, /*training=*/false));
    return {{"loss", t.recon + t.kl}, {"recon", t.recon}, {"kl", t.kl}};
  }

  // log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x) for K draws z_k ~ q(z|x), decoded in
  // chunks of about 5,000 images so K = 1000 fits in memory.
  Bounds log_likelihood_bounds(const torch::Tensor& batch_x, int64_t k, at::Generator& generator) override {
    InferenceScope inference(*net_, opt_.ema_if(evaluate_with_ema_));
    const torch::Tensor x = prepare(batch_x, /*training=*/false);  // (B, C, H, W) in [0, 1]
    auto [mu, logvar] = net_->encode(x);                           // (B, Z)
    const int64_t b = x.size(0), zd = mu.size(1), chunk = std::max<int64_t>(1, 5000 / b);
    const torch::Tensor sd = torch::exp(0.5 * logvar), flat_x = x.reshape({1, b, -1});
    const double log2pi = std::log(2 * M_PI);
    std::vector<torch::Tensor> parts;
    for (int64_t s = 0; s < k; s += chunk) {
      const int64_t c = std::min(chunk, k - s);
      const torch::Tensor eps = torch::randn({c, b, zd}, generator).to(mu.device());  // (c, B, Z)
      const torch::Tensor z = mu.unsqueeze(0) + eps * sd.unsqueeze(0);
      const torch::Tensor out = net_->decode(z.reshape({c * b, zd})).view({c, b, -1});  // (c, B, D)
      const torch::Tensor log_px = -neg_log_px(out, flat_x.expand_as(out)).sum(2);
      const torch::Tensor log_pz = -0.5 * (z.pow(2) + log2pi).sum(2);
      const torch::Tensor log_qz = -0.5 * (eps.pow(2) + logvar.unsqueeze(0) + log2pi).sum(2);
      parts.push_back((log_px + log_pz - log_qz).to(torch::kDouble));  // (c, B)
    }
    const torch::Tensor log_w = torch::cat(parts);  // (K, B)
    return {log_w.mean(0).to(torch::kCPU), (torch::logsumexp(log_w, 0) - std::log(double(k))).to(torch::kCPU)};
  }

  int64_t data_dims() const override { return net_->c_ * net_->h_ * net_->w_; }

  std::vector<SampleMode> sample_modes() const override {
    return {SampleMode::kPrior, SampleMode::kRecon, SampleMode::kInterp};
  }
  bool draws_images() const override { return true; }
  bool rank_dependent_draws() const override { return false; }  // its noise comes from batch_random.h
  int64_t batch_chunks() const override { return accumulate_; }
  LikelihoodModel* likelihood() override { return this; }

  SampleOutput sample(const SampleRequest& request) override {
    InferenceScope inference(*net_, opt_.ema_if(request.use_ema));
    SampleOutput out;
    switch (request.mode.value_or(SampleMode::kPrior)) {
      case SampleMode::kPrior:
        out.images = mean_image(net_->decode(request_latents(request, request.n, noise_bank_).to(device_)));
        break;
      case SampleMode::kRecon:
        out = reconstructions(request);
        break;
      case SampleMode::kInterp:
        out = interpolations(request);
        break;
      case SampleMode::kText:
      case SampleMode::kTrajectory:
        throw UsageError("model.kind vae samples in modes prior|recon|interp");
    }
    out.images = out.images.to(torch::kCPU);
    return out;
  }

  void save(torch::serialize::OutputArchive& archive) override {
    save_trained(archive, "net", "optim", *net_, opt_);
    archive.write("noise_bank", noise_bank_);
  }

  void load(torch::serialize::InputArchive& archive) override {
    load_trained(archive, "net", "optim", *net_, opt_);
    set_layout(*net_, channels_last_);  // the checkpoint's tensors come in the layout they were saved in
    archive.read("noise_bank", noise_bank_);
    noise_bank_ = noise_bank_.to(torch::kCPU);
  }

  std::vector<std::pair<std::string, int64_t>> parameter_counts() const override {
    int64_t n = 0;
    for (const auto& p : net_->parameters()) {
      if (p.requires_grad()) n += p.numel();  // a fixed Gaussian scale is not a parameter
    }
    return {{"vae", n}};
  }

  // The MLP VAE is pytorch/examples' VAE (fc1, fc21, fc22, fc3, fc4; 784-400-20 there, any
  // sizes here), log_scale only with a Gaussian likelihood; the conv VAE keeps gen's names.
  // Probe: x in [0, 1] -> mu, logvar and the mean of p(x | z = mu) (the reference's decode(mu):
  // pixel probabilities for a Bernoulli likelihood, flattened like its output for the MLP).
  std::vector<ExportedNetwork> exported_networks(bool use_ema) override {
    InferenceScope inference(*net_, opt_.ema_if(use_ema));
    ExportedNetwork out;
    out.name = "model";
    const bool mlp = o_.arch == VaeArch::kMlp, gaussian = o_.likelihood == Likelihood::kGaussian;
    if (mlp) {
      out.reference = gaussian ? "pytorch/examples vae/main.py VAE layers, plus log_scale (fc4 gives means, no sigmoid)"
                               : "pytorch/examples vae/main.py VAE";
    }
    out.tensors = state_dict_renamed(*net_, [mlp](const std::string& n) {
      if (!mlp) return n;
      static const std::vector<std::pair<std::string, std::string>> names{
          {"encoder.1.", "fc1."}, {"mu.", "fc21."}, {"logvar.", "fc22."}, {"decoder.0.", "fc3."}, {"decoder.2.", "fc4."}};
      for (const auto& [from, to] : names) {
        if (n.rfind(from, 0) == 0) return to + n.substr(from.size());
      }
      return n;
    });
    if (!gaussian) {
      out.tensors.erase(std::remove_if(out.tensors.begin(), out.tensors.end(),
                                       [](const auto& item) { return item.first == "log_scale"; }),
                        out.tensors.end());
    }
    auto gen = at::detail::createCPUGenerator(0);
    const torch::Tensor x = torch::rand({4, net_->c_, net_->h_, net_->w_}, gen);
    auto [mu, logvar] = net_->encode(x.to(device_));
    torch::Tensor decoded = net_->decode(mu);
    decoded = gaussian ? decoded : torch::sigmoid(decoded);
    if (mlp) decoded = decoded.flatten(1);
    out.probe = {{"input", x}, {"mu", probe_copy(mu)}, {"logvar", probe_copy(logvar)}, {"decoded", probe_copy(decoded)}};
    return {out};
  }

 private:
  struct Terms {
    torch::Tensor recon;  // -log p(x|z), summed over pixels, mean over the batch
    torch::Tensor kl;     // KL(q(z|x) || N(0, I)), summed over z, mean over the batch
  };

  // Rows of 8 inputs, each followed by the row of their reconstructions; a partial last pair of
  // rows is padded with black so inputs and reconstructions never share a row.
  SampleOutput reconstructions(const SampleRequest& request) {
    const torch::Tensor x = prepare(request.inputs.narrow(0, 0, std::min(request.n, request.inputs.size(0))), false);
    const torch::Tensor r = mean_image(net_->decode(net_->encode(x).first));
    const int64_t per_row = 8, n = x.size(0), rows = (n + per_row - 1) / per_row;
    std::vector<torch::Tensor> tiles;
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t k = std::min(per_row, n - i * per_row);
      const torch::Tensor pad = torch::full({per_row - k, x.size(1), x.size(2), x.size(3)}, -1.0, x.options());
      tiles.push_back(torch::cat({x.narrow(0, i * per_row, k) * 2 - 1, pad}));
      tiles.push_back(torch::cat({r.narrow(0, i * per_row, k), pad}));
    }
    return {torch::cat(tiles), per_row, "", {}, {}};
  }

  // Each row walks in latent space from one encoded image to the next.
  SampleOutput interpolations(const SampleRequest& request) {
    const int64_t steps = 10, rows = request.inputs.size(0) / 2;
    const torch::Tensor mu = net_->encode(prepare(request.inputs.narrow(0, 0, 2 * rows), false)).first;  // (2R, Z)
    const torch::Tensor a = mu.narrow(0, 0, rows), b = mu.narrow(0, rows, rows);
    const torch::Tensor t = torch::linspace(0, 1, steps, mu.options()).view({1, steps, 1});
    const torch::Tensor z = (a.unsqueeze(1) * (1 - t) + b.unsqueeze(1) * t).reshape({rows * steps, -1});
    return {mean_image(net_->decode(z)), steps, "", {}, {}};
  }

  // [-1, 1] -> [0, 1], binarized when configured (a fixed draw outside training).
  torch::Tensor prepare(const torch::Tensor& x, bool training) const {
    torch::Tensor u = x.add(1).mul_(0.5).clamp_(0, 1);
    switch (o_.binarize) {
      case Binarize::kNone:
        return u;
      case Binarize::kDynamic:
        break;
    }
    if (training) return batch_bernoulli(u);
    auto gen = at::detail::createCPUGenerator(0xB1A7);
    return torch::bernoulli(u.to(torch::kCPU), gen).to(u.device());
  }

  Terms terms(const torch::Tensor& x) {  // x (B, C, H, W) in [0, 1]
    auto [mu, logvar] = net_->encode(x);
    // Reparameterisation; in training the noise of this rank's rows of the global batch.
    const torch::Tensor z = mu + batch_randn_like(mu, net_->is_training()) * torch::exp(0.5 * logvar);
    const double b = double(x.size(0));
    const torch::Tensor recon = neg_log_px(net_->decode(z), x).sum() / b;
    const torch::Tensor kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum() / b;
    return {recon, kl};
  }

  // -log p(x|z) of each pixel: decoder output `out` (logits or means) against x in [0, 1], same shape.
  torch::Tensor neg_log_px(const torch::Tensor& out, const torch::Tensor& x) const {
    switch (o_.likelihood) {
      case Likelihood::kBernoulli:
        return F::binary_cross_entropy_with_logits(
            out, x, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
      case Likelihood::kGaussian:
        break;
    }
    const torch::Tensor& ls = net_->log_scale;
    return 0.5 * (x - out).pow(2) * torch::exp(-2 * ls) + ls + 0.5 * std::log(2 * M_PI);
  }

  // Decoder output -> the mean image in [-1, 1].
  torch::Tensor mean_image(const torch::Tensor& out) const {
    const torch::Tensor p = o_.likelihood == Likelihood::kBernoulli ? torch::sigmoid(out) : out.clamp(0, 1);
    return p * 2 - 1;
  }

  VaeOptions o_;
  torch::Device device_;
  bool channels_last_;  // runtime.memory_format, conv arch only (models/memory_format.h)
  VaeNet net_;
  NetOptimizer opt_;
  int64_t accumulate_;
  double kl_weight_ = 1.0;
  torch::Tensor noise_bank_;  // (n_samples, latent) on the CPU
};

std::unique_ptr<GenerativeModel> build_vae(const ModelContext& ctx, const VaeOptions& o) {
  if (ctx.data.is_text() || ctx.data.shape.height <= 0) {
    throw ConfigError(ctx.config.source.file + ": model.kind vae needs image data");
  }
  if (o.arch == VaeArch::kConv && (ctx.data.shape.height % 4 != 0 || ctx.data.shape.width % 4 != 0)) {
    throw ConfigError(ctx.config.source.file + ": model.arch conv needs image sides divisible by 4; the data is " +
                      std::to_string(ctx.data.shape.height) + "x" + std::to_string(ctx.data.shape.width) +
                      " (set data.image_size)");
  }
  return std::make_unique<Vae>(ctx, o);
}

}  // namespace

void register_vae() {
  register_family<VaeOptions>(
      "vae", "variational autoencoder, MLP or conv (images)",
      [](const VaeOptions& o) { return o.arch == VaeArch::kMlp ? CpuWorkload::kMatmul : CpuWorkload::kConvolution; },
      build_vae);
}

}  // namespace gen
