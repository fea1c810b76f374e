// DCGAN (Radford et al. 2016): transposed-conv generator and strided-conv discriminator,
// parameterised by image size (any power of two >= 16). At 64 px with latent 100, 64/64
// channels and BatchNorm it matches the pytorch/examples reference layer for layer.
// Variants the literature uses: loss bce (non-saturating, on logits), hinge, or wgan-gp
// (gradient penalty on interpolates, n_critic critic steps, no BatchNorm in the critic);
// spectral normalisation of D (Miyato et al. 2018);
// class-conditional G (one-hot label with z) and projection D (Miyato & Koyama 2018);
// differentiable batch augmentation applied to everything D sees; the R1 penalty on D's
// gradient at real images (Mescheder et al. 2018); an unsupervised categorical latent code that
// D's auxiliary head must recover from the image (InfoGAN, Chen et al. 2016).
#include <cmath>
#include <optional>

#include "config/config.h"
#include "models/augment.h"
#include "models/autocast_group_norm.h"
#include "models/batch_norm.h"
#include "models/batch_random.h"
#include "models/gan_losses.h"
#include "models/generative_model.h"
#include "models/memory_format.h"
#include "models/model_options.h"
#include "models/noise.h"
#include "models/registry.h"
#include "models/spectral_conv.h"
#include "optim/ema.h"
#include "optim/net_optimizer.h"
#include "util/errors.h"

namespace gen {

enum class DNorm { kAuto, kBatch, kLayer, kSpectral, kNone };
template <>
struct EnumNames<DNorm> {
  static constexpr std::array<std::string_view, 5> names{"auto", "batch", "layer", "spectral", "none"};
};

namespace {

namespace F = torch::nn::functional;
namespace nn = torch::nn;

struct DcganOptions {
  int64_t latent_dim = 100;
  int64_t g_channels = 64;
  int64_t d_channels = 64;
  GanLoss loss = GanLoss::kBce;
  DNorm d_norm = DNorm::kAuto;
  double gp_weight = 10.0;
  double r1 = 0.0;
  int64_t r1_every = 1;
  int64_t n_critic = 1;
  bool conditional = false;
  int64_t latent_codes = 0;
  double info_weight = 1.0;
  AugmentOptions augment;
  bool sync_bn = true;

  template <class V>
  void visit(V& v) {
    v("latent_dim", latent_dim, Doc("size of the noise vector z").range(1, 4096));
    v("g_channels", g_channels, Doc("generator width (channels of its last hidden layer)").range(1, 4096));
    v("d_channels", d_channels, Doc("discriminator width (channels of its first layer)").range(1, 4096));
    v("loss", loss, Doc(gan_loss_help()));
    v("d_norm", d_norm,
      "normalisation in D: auto = batch, or layer with the gradient penalty (a penalty per example must not depend on "
      "batch statistics); spectral: every D conv divided by its largest singular value (SNGAN)");
    v("gp_weight", gp_weight, Doc("wgan-gp: weight of the gradient penalty").range(0, 1e6));
    v("r1", r1,
      Doc("R1 penalty weight gamma: D's loss gains gamma/2 * E||grad_x D(x)||^2 at real images "
          "(bce and hinge; 0 = off)")
          .range(0, 1e6));
    v("r1_every", r1_every,
      Doc("lazy R1 (StyleGAN2): the penalty only every N-th step, weighted N times, for about the same effect at 1/N "
          "of its cost")
          .range(1, 1000));
    v("n_critic", n_critic, Doc("critic steps per generator step; the batch is split between them").range(1, 100));
    v("conditional", conditional, "class-conditional G and D (needs labelled data); gen sample --class N");
    v("latent_codes", latent_codes,
      Doc("InfoGAN: G also gets a one-hot code drawn uniformly from this many values, and a head on D's features "
          "learns to tell the code back from the image, without labels (0 = off)")
          .range(0, 4096));
    v("info_weight", info_weight,
      Doc("latent_codes: weight of the code's cross-entropy (the mutual-information bound) in the losses of G and of "
          "D's head")
          .range(0, 1e6));
    v.section("augment", augment, "augmentation of every batch D sees (real and generated)");
    v("sync_bn", sync_bn,
      "data-parallel jobs: BatchNorm statistics of the global batch (as one process computes them); false = each "
      "rank normalizes with its own slice's");
  }

  DNorm critic_norm() const {
    if (d_norm != DNorm::kAuto) return d_norm;
    return gan_loss_rule(loss).gradient_penalty ? DNorm::kLayer : DNorm::kBatch;
  }
};

// Number of stride-2 (up/down)sampling layers between 4x4 and the image size.
int64_t stride2_layers(int64_t image_size) {
  return static_cast<int64_t>(std::lround(std::log2(double(image_size)))) - 2;
}

struct GeneratorImpl : nn::Module {
  GeneratorImpl(int64_t in, int64_t width, int64_t channels, int64_t image_size, bool sync_bn) {
    const int64_t layers = stride2_layers(image_size);
    int64_t ch = width << (layers - 1);
    auto up = [](int64_t i, int64_t o, int64_t stride, int64_t pad) {
      return nn::ConvTranspose2d(nn::ConvTranspose2dOptions(i, o, 4).stride(stride).padding(pad).bias(false));
    };
    net->push_back(up(in, ch, 1, 0));  // (B, in, 1, 1) -> (B, ch, 4, 4)
    net->push_back(BatchNorm(ch, sync_bn));
    net->push_back(nn::ReLU(nn::ReLUOptions(true)));
    for (int64_t i = 1; i < layers; ++i, ch /= 2) {
      net->push_back(up(ch, ch / 2, 2, 1));  // doubles H and W
      net->push_back(BatchNorm(ch / 2, sync_bn));
      net->push_back(nn::ReLU(nn::ReLUOptions(true)));
    }
    net->push_back(up(ch, channels, 2, 1));
    net->push_back(nn::Tanh());
    register_module("net", net);
    input_weight = net->parameters().front();
  }

  torch::Tensor forward(const torch::Tensor& z) {  // (B, in) -> (B, C, S, S)
    return net->forward(like_weights(z.view({z.size(0), z.size(1), 1, 1}), input_weight));
  }

  nn::Sequential net;
  // The first layer's weight (the same tensor, whatever .to() or a layout change does to its
  // data): its layout is the one the input takes. Looked up once, not every forward.
  torch::Tensor input_weight;
};
TORCH_MODULE(Generator);

struct DiscriminatorImpl : nn::Module {
  DiscriminatorImpl(int64_t width, int64_t channels, int64_t image_size, DNorm norm, int64_t classes, int64_t codes,
                    bool sync_bn) {
    const int64_t layers = stride2_layers(image_size);
    const bool spectral = norm == DNorm::kSpectral;
    auto down = [spectral](int64_t i, int64_t o, int64_t stride, int64_t pad) {
      if (spectral) return nn::AnyModule(SpectralConv2d(i, o, 4, stride, pad));
      return nn::AnyModule(nn::Conv2d(nn::Conv2dOptions(i, o, 4).stride(stride).padding(pad).bias(false)));
    };
    auto lrelu = [] { return nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2).inplace(true)); };
    int64_t ch = width;
    net->push_back(down(channels, ch, 2, 1));  // halves H and W; no normalisation on the input layer
    net->push_back(lrelu());
    for (int64_t i = 1; i < layers; ++i, ch *= 2) {
      net->push_back(down(ch, ch * 2, 2, 1));
      switch (norm) {
        case DNorm::kBatch:
          net->push_back(BatchNorm(ch * 2, sync_bn));
          break;
        case DNorm::kLayer:
          net->push_back(AutocastGroupNorm(nn::GroupNormOptions(1, ch * 2)));  // LayerNorm over (C, H, W)
          break;
        case DNorm::kAuto:      // resolved by critic_norm()
        case DNorm::kSpectral:  // in the convolutions
        case DNorm::kNone:
          break;
      }
      net->push_back(lrelu());
    }
    register_module("net", net);
    input_weight = net->parameters().front();
    // (B, ch, 4, 4) -> (B, 1, 1, 1); one of the two, under one name, so checkpoints keep "head.weight"
    if (spectral) {
      sn_head = register_module("head", SpectralConv2d(ch, 1, 4, 1, 0));
    } else {
      head = register_module("head", nn::Conv2d(nn::Conv2dOptions(ch, 1, 4).bias(false)));
    }
    if (classes > 0) embed = register_module("embed", nn::Embedding(classes, ch));
    if (codes > 0) code_head = register_module("code_head", nn::Conv2d(nn::Conv2dOptions(ch, codes, 4)));
  }

  struct Output {
    torch::Tensor score;        // (B)
    torch::Tensor code_logits;  // (B, codes), or undefined without latent codes
  };

  Output forward(const torch::Tensor& x, const torch::Tensor& y) {  // (B, C, S, S), (B) labels or undefined
    const torch::Tensor h = net->forward(like_weights(x, input_weight));  // (B, ch, 4, 4)
    Output out;
    out.score = (head ? head->forward(h) : sn_head->forward(h)).view({x.size(0)});
    if (embed) out.score = out.score + (embed->forward(y) * h.sum({2, 3})).sum(1);  // projection
    if (code_head) out.code_logits = code_head->forward(h).flatten(1);
    return out;
  }

  nn::Sequential net;
  torch::Tensor input_weight;  // the first conv's weight, as in GeneratorImpl
  nn::Conv2d head{nullptr};
  SpectralConv2d sn_head{nullptr};
  nn::Embedding embed{nullptr};
  nn::Conv2d code_head{nullptr};
};
TORCH_MODULE(Discriminator);

void init_dcgan_weights(nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& m : module.modules(/*include_self=*/false)) {
    if (auto* c = m->as<nn::Conv2d>()) c->weight.normal_(0.0, 0.02);
    if (auto* t = m->as<nn::ConvTranspose2d>()) t->weight.normal_(0.0, 0.02);
    if (auto* bn = m->as<BatchNormImpl>()) {
      bn->weight.normal_(1.0, 0.02);
      bn->bias.zero_();
    }
    if (auto* e = m->as<nn::Embedding>()) e->weight.normal_(0.0, 0.02);
  }
}

// runtime.memory_format auto, from measurement (docs/RESULTS.md, "Memory format"):
// channels-first everywhere: on the CPU channels-last measured slower, in fp32 and bf16; not
// measured on CUDA yet.
bool dcgan_prefers_channels_last(const ModelContext& /*ctx*/) { return false; }

class Dcgan final : public GenerativeModel {
 public:
  Dcgan(const ModelContext& ctx, const DcganOptions& o)
      : o_(o),
        rule_(gan_loss_rule(o.loss)),
        device_(ctx.device),
        classes_(o.conditional ? ctx.data.shape.num_classes : 0),
        channels_last_(use_channels_last(ctx.config, dcgan_prefers_channels_last(ctx))),
        generator_(ready(
            Generator(o.latent_dim + one_hot_width(), o.g_channels, ctx.data.shape.channels, ctx.data.shape.height,
                      o.sync_bn),
            device_, channels_last_)),
        discriminator_(ready(Discriminator(o.d_channels, ctx.data.shape.channels, ctx.data.shape.height,
                                           o.critic_norm(), classes_, o.latent_codes, o.sync_bn),
                             device_, channels_last_)),
        opt_g_(*generator_, ctx.config, /*use_ema=*/true, ctx.precision),
        opt_d_(*discriminator_, ctx.config, /*use_ema=*/false, ctx.precision),
        noise_bank_(noise_bank(uint64_t(ctx.config.seed) + 0x5eed, ctx.config.train.n_samples, o.latent_dim)) {}

  void begin_step(int64_t step, double lr) override {
    step_ = step;
    opt_g_.set_lr(lr);
    opt_d_.set_lr(lr);
  }

  StepResult train_step(const Batch& batch) override {
    const auto reals = batch.x.chunk(o_.n_critic, 0);
    const auto labels = classes_ > 0 ? batch.y.chunk(o_.n_critic, 0) : std::vector<torch::Tensor>{};
    // loss_d and loss_g come first in the result, then the first critic step's other figures.
    StepResult result, d_figures;
    torch::Tensor fake, y, code;  // the last critic step's fakes, with their graph, labels and codes, for G's step
    set_requires_grad(*discriminator_, true);
    for (int64_t k = 0; k < o_.n_critic; ++k) {
      const torch::Tensor& real = reals[size_t(k)];  // (B, C, S, S)
      y = classes_ > 0 ? labels[size_t(k)] : torch::Tensor();
      code = o_.latent_codes > 0 ? batch_randint(0, o_.latent_codes, {real.size(0)}, real.options().dtype(torch::kInt64))
                                 : torch::Tensor();
      const bool last = k + 1 == o_.n_critic;
      {
        // Only the last critic step's fakes are reused by G, so only they keep a graph.
        std::optional<torch::NoGradGuard> no_grad;
        if (!last) no_grad.emplace();
        fake = generate_train(batch_randn({real.size(0), o_.latent_dim}, real.options()), classes_ > 0 ? y : code);
      }
      opt_d_.zero_grad();
      // R1 differentiates D's score with respect to the real images themselves.
      const bool r1_now = o_.r1 > 0 && k == 0 && step_ % o_.r1_every == 0;
      const torch::Tensor real_in = r1_now ? real.detach().requires_grad_(true) : real;
      const torch::Tensor d_real = critic_train(real_in, y).score;  // (B)
      const auto fake_out = critic_train(fake.detach(), y);
      const torch::Tensor& d_fake = fake_out.score;  // (B)
      torch::Tensor loss_d = rule_.d_loss(d_real, d_fake), gp;
      if (rule_.gradient_penalty) {
        gp = gradient_penalty(real, fake.detach(), y);
        loss_d = loss_d + o_.gp_weight * gp;
      }
      torch::Tensor code_ce;
      if (code.defined()) {
        code_ce = F::cross_entropy(fake_out.code_logits, code);
        loss_d = loss_d + o_.info_weight * code_ce;
      }
      torch::Tensor r1;
      if (r1_now) {
        // Under fp16 the gradient is taken of the scaled score and unscaled (the AMP recipe for penalties).
        const torch::Tensor grad = opt_d_.unscaled(torch::autograd::grad(
            {opt_d_.scaled(d_real.sum())}, {real_in}, {}, /*retain_graph=*/true, /*create_graph=*/true)[0]);
        r1 = grad.pow(2).flatten(1).sum(1).mean();
        loss_d = loss_d + 0.5 * o_.r1 * double(o_.r1_every) * r1;
      }
      opt_d_.scaled(loss_d).backward();
      result.add_skipped(opt_d_.step().skipped);
      if (k == 0) {
        result.add("loss_d", loss_d, Better::kNeither);
        d_figures.add("d_real", score_summary(d_real), Better::kNeither);
        d_figures.add("d_fake", score_summary(d_fake), Better::kNeither);
        if (code_ce.defined()) d_figures.add("code_ce", code_ce);  // near 0: G's images tell their code
        if (gp.defined()) d_figures.add("gp", gp);
        if (r1.defined()) d_figures.add("r1", r1);  // only on the steps that measure it (lazy R1)
      }
    }

    // Generator. D's weights need no gradient here, which skips its weight-gradient GEMMs.
    set_requires_grad(*discriminator_, false);
    opt_g_.zero_grad();
    const auto gen_out = critic_train(fake, y);
    const torch::Tensor& d_gen = gen_out.score;
    torch::Tensor loss_g = rule_.g_loss(d_gen);
    if (code.defined()) loss_g = loss_g + o_.info_weight * F::cross_entropy(gen_out.code_logits, code);
    opt_g_.scaled(loss_g).backward();
    result.add_skipped(opt_g_.step().skipped);

    result.add("loss_g", loss_g, Better::kNeither);
    result.metrics.insert(result.metrics.end(), d_figures.metrics.begin(), d_figures.metrics.end());
    return result;
  }

  bool draws_images() const override { return true; }
  bool rank_dependent_draws() const override { return false; }  // batch_random.h, synchronized BatchNorm
  int64_t batch_chunks() const override { return o_.n_critic; }
  int64_t sample_classes() const override { return one_hot_width(); }

  SampleOutput sample(const SampleRequest& request) override {
    InferenceScope inference(*generator_, opt_g_.ema_if(request.use_ema));
    int64_t n = request.n, nrow = 0;
    torch::Tensor y;  // class labels or latent codes; both are laid out one value per row
    if (const int64_t values = one_hot_width(); values > 0) {
      const RequestValues v = request_values(
          request, values,
          classes_ > 0 ? ": the model knows classes"
                       : ": the model's latent code (model.latent_codes, learnt without labels) takes values");
      n = v.n;
      nrow = v.nrow;
      y = v.y;  // for codes, equal numbers of each value is a stratified draw from their uniform prior
    }
    const torch::Tensor z = request_latents(request, n, noise_bank_);  // (n', latent) on the CPU
    if (y.defined()) y = y.narrow(0, 0, z.size(0));
    SampleOutput out;
    out.images = generate(z.to(device_), y.defined() ? y.to(device_) : y).to(torch::kCPU);
    out.nrow = nrow;
    if (classes_ > 0) out.labels = y;  // latent codes are no classes a feature network could check
    if (nrow > 0) {  // one row per value, labelled with it: the class, or c<k> for a latent code
      for (int64_t r = 0; r * nrow < out.images.size(0); ++r) {
        out.row_labels.push_back((classes_ > 0 ? "" : "c") + std::to_string(r));
      }
    }
    return out;
  }

  void save(torch::serialize::OutputArchive& archive) override {
    save_trained(archive, "generator", "optim_generator", *generator_, opt_g_);
    save_trained(archive, "discriminator", "optim_discriminator", *discriminator_, opt_d_);
    archive.write("noise_bank", noise_bank_);
  }

  void load(torch::serialize::InputArchive& archive) override {
    load_trained(archive, "generator", "optim_generator", *generator_, opt_g_);
    load_trained(archive, "discriminator", "optim_discriminator", *discriminator_, opt_d_);
    set_layout(*generator_, channels_last_);  // the checkpoint's tensors come in the layout they were saved in
    set_layout(*discriminator_, channels_last_);
    archive.read("noise_bank", noise_bank_);
    noise_bank_ = noise_bank_.to(torch::kCPU);
  }

  std::vector<std::pair<std::string, int64_t>> parameter_counts() const override {
    return {{"generator", count_parameters(*generator_)}, {"discriminator", count_parameters(*discriminator_)}};
  }

  // The plain DCGAN (no classes or codes; BatchNorm in D) is pytorch/examples' Generator and
  // Discriminator layer for layer: net.N -> main.N, D's head the last conv of main. Other
  // variants keep gen's names. The generator's probe input is (B, latent [+ one-hot], 1, 1)
  // as the reference feeds it; D's probe input is the generator's output for it.
  std::vector<ExportedNetwork> exported_networks(bool use_ema) override {
    const int64_t width = o_.latent_dim + one_hot_width();
    ExportedNetwork g, d;
    g.name = "generator";
    d.name = "discriminator";
    const bool plain = one_hot_width() == 0;
    const bool reference_d = plain && o_.critic_norm() == DNorm::kBatch;
    torch::Tensor images;
    {
      InferenceScope inference(*generator_, opt_g_.ema_if(use_ema));
      if (plain) g.reference = "pytorch/examples dcgan/main.py Generator";
      g.tensors = state_dict_renamed(*generator_, [plain](const std::string& n) { return plain ? "main" + n.substr(3) : n; });
      auto gen = at::detail::createCPUGenerator(0);
      const torch::Tensor input = torch::randn({4, width, 1, 1}, gen);
      images = generator_->forward(input.to(device_));
      g.probe = {{"input", input}, {"output", probe_copy(images)}};
    }
    InferenceScope inference(*discriminator_);
    const int64_t head_index = int64_t(discriminator_->net->size());
    if (reference_d) d.reference = "pytorch/examples dcgan/main.py Discriminator (its Sigmoid output is probe.output)";
    d.tensors = state_dict_renamed(*discriminator_, [reference_d, head_index](const std::string& n) {
      if (!reference_d) return n;
      if (n.rfind("head.", 0) == 0) return "main." + std::to_string(head_index) + n.substr(4);
      return "main" + n.substr(3);
    });
    torch::Tensor labels;
    if (one_hot_width() > 0) labels = torch::arange(4, torch::kInt64).remainder(std::max<int64_t>(1, classes_));
    const auto out = discriminator_->forward(images, classes_ > 0 ? labels.to(device_) : torch::Tensor());
    d.probe = {{"input", probe_copy(images)}, {"score", probe_copy(out.score)}};
    if (reference_d) d.probe.emplace_back("output", probe_copy(torch::sigmoid(out.score)));
    if (classes_ > 0) d.probe.emplace_back("labels", labels);
    if (out.code_logits.defined()) d.probe.emplace_back("code_logits", probe_copy(out.code_logits));
    return {g, d};
  }

 private:
  // Initialised on the CPU (same weights for a seed on any device), then moved and laid out
  // (runtime.memory_format).
  template <class Net>
  static Net ready(Net net, const torch::Device& device, bool channels_last) {
    init_dcgan_weights(*net);
    net->to(device);
    return laid_out(net, channels_last);
  }

  static void set_requires_grad(nn::Module& module, bool on) {
    for (auto& p : module.parameters()) p.set_requires_grad(on);
  }

  // Values of G's one-hot input: the classes of a conditional model or the latent codes (never both).
  int64_t one_hot_width() const { return classes_ + o_.latent_codes; }

  // y: class labels of a conditional model, the latent codes of an InfoGAN one, else undefined.
  torch::Tensor generate(const torch::Tensor& z, const torch::Tensor& y) {  // (B, latent), (B) -> (B, C, S, S)
    if (one_hot_width() == 0) return generator_->forward(z);
    return generator_->forward(torch::cat({z, F::one_hot(y, one_hot_width()).to(z.dtype())}, 1));
  }

  DiscriminatorImpl::Output critic(const torch::Tensor& x, const torch::Tensor& y) {
    return discriminator_->forward(o_.augment.any() ? augment(x, o_.augment) : x, y);
  }

  // The forward passes of a training step, under runtime.precision's autocast (the backward
  // passes run outside it); outputs in float32 for the losses. Sampling and evaluation use
  // generate() and critic() in float32.
  torch::Tensor generate_train(const torch::Tensor& z, const torch::Tensor& y) {
    const AutocastScope autocast = opt_g_.autocast();
    return generate(z, y).to(torch::kFloat);
  }
  DiscriminatorImpl::Output critic_train(const torch::Tensor& x, const torch::Tensor& y) {
    const AutocastScope autocast = opt_d_.autocast();
    DiscriminatorImpl::Output out = critic(x, y);
    out.score = out.score.to(torch::kFloat);
    if (out.code_logits.defined()) out.code_logits = out.code_logits.to(torch::kFloat);
    return out;
  }

  // E[(||grad_x D(x_hat)|| - 1)^2] on random interpolates of real and generated images.
  torch::Tensor gradient_penalty(const torch::Tensor& real, const torch::Tensor& fake, const torch::Tensor& y) {
    const torch::Tensor eps = batch_rand({real.size(0), 1, 1, 1}, real.options());
    const torch::Tensor x_hat = (eps * real + (1 - eps) * fake).requires_grad_(true);
    const torch::Tensor score = critic_train(x_hat, y).score;
    const torch::Tensor grad = opt_d_.unscaled(torch::autograd::grad({opt_d_.scaled(score.sum())}, {x_hat}, {},
                                                                     /*retain_graph=*/true, /*create_graph=*/true)[0]);
    return (grad.flatten(1).norm(2, 1) - 1).pow(2).mean();
  }

  // D(x) as a probability for bce, else the mean raw score.
  torch::Tensor score_summary(const torch::Tensor& d) const {
    return rule_.logits ? torch::sigmoid(d.detach()).mean() : d.detach().mean();
  }

  DcganOptions o_;
  const GanLossRule& rule_;
  torch::Device device_;
  int64_t classes_;
  bool channels_last_;  // runtime.memory_format (models/memory_format.h)
  Generator generator_;
  Discriminator discriminator_;
  NetOptimizer opt_g_;  // owns the generator's EMA when train.ema > 0
  NetOptimizer opt_d_;
  torch::Tensor noise_bank_;  // (n_samples, latent) on the CPU
  int64_t step_ = 0;
};

std::unique_ptr<GenerativeModel> build_dcgan(const ModelContext& ctx, const DcganOptions& o) {
  const std::string& file = ctx.config.source.file;
  const int64_t s = ctx.data.shape.height;
  if (ctx.data.shape.width != s || s < 16 || (s & (s - 1)) != 0) {
    throw ConfigError(file + ": model.kind dcgan needs square images whose size is a power of two >= 16; the data is " +
                      std::to_string(ctx.data.shape.height) + "x" + std::to_string(ctx.data.shape.width) +
                      " (set data.image_size, e.g. 32)");
  }
  if (ctx.config.train.accumulate != 1) {
    throw ConfigError(file + ": train.accumulate: model.kind dcgan trains D and G in turn on whole batches; use 1");
  }
  if (gan_loss_rule(o.loss).gradient_penalty && o.critic_norm() == DNorm::kBatch) {
    throw ConfigError(
        file +
        ": model.d_norm: batch norm makes the gradient penalty of wgan-gp depend on the batch; use layer or none");
  }
  if (gan_loss_rule(o.loss).gradient_penalty && o.r1 > 0) {
    throw ConfigError(
        file + ": model.r1: wgan-gp already penalises D's gradient (gp_weight); set r1 to 0 or use loss bce or hinge");
  }
  if (o.conditional && o.latent_codes > 0) {
    throw ConfigError(
        file +
        ": model.latent_codes: a conditional model already gets the class; use one of conditional and latent_codes");
  }
  if (o.conditional && ctx.data.shape.num_classes < 2) {
    throw ConfigError(file + ": model.conditional needs labelled data; this data has no class labels");
  }
  if (ctx.config.data.batch_size % o.n_critic != 0) {
    throw ConfigError(file + ": model.n_critic (" + std::to_string(o.n_critic) + ") must divide data.batch_size (" +
                      std::to_string(ctx.config.data.batch_size) + "): the critic steps share the batch");
  }
  return std::make_unique<Dcgan>(ctx, o);
}

}  // namespace

void register_dcgan() {
  register_family<DcganOptions>(
      "dcgan", "DCGAN generator + discriminator; bce, hinge or wgan-gp; optionally class-conditional (images)",
      [](const DcganOptions&) { return CpuWorkload::kConvolution; }, build_dcgan);
}

}  // namespace gen
