// DCGAN (Radford et al. 2016): transposed-conv generator and strided-conv discriminator,
// both with BatchNorm, parameterised by image size (any power of two >= 16). At 64 px with
// latent 100 and 64/64 channels it matches the pytorch/examples reference layer for layer.
// Trained with the non-saturating loss on logits and two Adam optimizers owned here.
#include <cmath>

#include "config/config.h"
#include "models/generative_model.h"
#include "models/model_options.h"
#include "models/registry.h"
#include "train/net_optimizer.h"
#include "util/errors.h"

namespace gen {

namespace {

struct DcganOptions {
  int64_t latent_dim = 100;
  int64_t g_channels = 64;
  int64_t d_channels = 64;

  template <class V>
  void visit(V& v) {
    v("latent_dim", latent_dim, Doc("size of the noise vector z").range(1, 4096));
    v("g_channels", g_channels, Doc("generator width (channels of its last hidden layer)").range(1, 4096));
    v("d_channels", d_channels, Doc("discriminator width (channels of its first layer)").range(1, 4096));
  }
};

// Number of stride-2 (up/down)sampling layers between 4x4 and the image size.
int64_t stride2_layers(int64_t image_size) {
  return static_cast<int64_t>(std::lround(std::log2(double(image_size)))) - 2;
}

struct GeneratorImpl : torch::nn::Module {
  GeneratorImpl(int64_t latent, int64_t width, int64_t channels, int64_t image_size) {
    namespace nn = torch::nn;
    const int64_t layers = stride2_layers(image_size);
    int64_t ch = width << (layers - 1);
    auto up = [](int64_t in, int64_t out, int64_t stride, int64_t pad) {
      return nn::ConvTranspose2d(
          nn::ConvTranspose2dOptions(in, out, 4).stride(stride).padding(pad).bias(false));
    };
    net->push_back(up(latent, ch, 1, 0));  // (B, latent, 1, 1) -> (B, ch, 4, 4)
    net->push_back(nn::BatchNorm2d(ch));
    net->push_back(nn::ReLU(nn::ReLUOptions(true)));
    for (int64_t i = 1; i < layers; ++i, ch /= 2) {
      net->push_back(up(ch, ch / 2, 2, 1));  // doubles H and W
      net->push_back(nn::BatchNorm2d(ch / 2));
      net->push_back(nn::ReLU(nn::ReLUOptions(true)));
    }
    net->push_back(up(ch, channels, 2, 1));
    net->push_back(nn::Tanh());
    register_module("net", net);
  }

  torch::Tensor forward(const torch::Tensor& z) {  // (B, latent) -> (B, C, S, S)
    return net->forward(z.view({z.size(0), z.size(1), 1, 1}));
  }

  torch::nn::Sequential net;
};
TORCH_MODULE(Generator);

struct DiscriminatorImpl : torch::nn::Module {
  DiscriminatorImpl(int64_t width, int64_t channels, int64_t image_size) {
    namespace nn = torch::nn;
    const int64_t layers = stride2_layers(image_size);
    auto down = [](int64_t in, int64_t out, int64_t stride, int64_t pad) {
      return nn::Conv2d(nn::Conv2dOptions(in, out, 4).stride(stride).padding(pad).bias(false));
    };
    auto lrelu = [] { return nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2).inplace(true)); };
    int64_t ch = width;
    net->push_back(down(channels, ch, 2, 1));  // halves H and W; no BatchNorm on the input layer
    net->push_back(lrelu());
    for (int64_t i = 1; i < layers; ++i, ch *= 2) {
      net->push_back(down(ch, ch * 2, 2, 1));
      net->push_back(nn::BatchNorm2d(ch * 2));
      net->push_back(lrelu());
    }
    net->push_back(down(ch, 1, 1, 0));  // (B, ch, 4, 4) -> (B, 1, 1, 1) logits
    register_module("net", net);
  }

  torch::Tensor forward(const torch::Tensor& x) {  // (B, C, S, S) -> (B) logits
    return net->forward(x).view({x.size(0)});
  }

  torch::nn::Sequential net;
};
TORCH_MODULE(Discriminator);

void init_dcgan_weights(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& m : module.modules(/*include_self=*/false)) {
    if (auto* c = m->as<torch::nn::Conv2d>()) c->weight.normal_(0.0, 0.02);
    if (auto* t = m->as<torch::nn::ConvTranspose2d>()) t->weight.normal_(0.0, 0.02);
    if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      bn->weight.normal_(1.0, 0.02);
      bn->bias.zero_();
    }
  }
}

class Dcgan final : public GenerativeModel {
 public:
  explicit Dcgan(const ModelContext& ctx)
      : options_(read_model_options<DcganOptions>(ctx.config.model.options, &ctx.config.source)),
        device_(ctx.device),
        generator_(ready(Generator(options_.latent_dim, options_.g_channels, ctx.data.channels,
                                   ctx.data.height), device_)),
        discriminator_(ready(Discriminator(options_.d_channels, ctx.data.channels, ctx.data.height),
                             device_)),
        opt_g_(*generator_, ctx.config, /*use_ema=*/true),
        opt_d_(*discriminator_, ctx.config, /*use_ema=*/false) {
    // Fixed noise for the training grids, drawn from its own seeded generator so it does not
    // depend on how much of the global random stream the weights used.
    auto gen = at::detail::createCPUGenerator(ctx.config.seed + 0x5eed);
    noise_bank_ = torch::randn({ctx.config.train.n_samples, options_.latent_dim}, gen);
  }

  StepMetrics train_step(const Batch& batch) override {
    namespace F = torch::nn::functional;
    const torch::Tensor& real = batch.x;  // (B, C, S, S)
    const int64_t b = real.size(0);
    const torch::Tensor z = torch::randn({b, options_.latent_dim}, real.options());
    const torch::Tensor fake = generator_->forward(z);  // (B, C, S, S)

    // Discriminator: real -> 1, fake -> 0.
    set_requires_grad(*discriminator_, true);
    opt_d_.zero_grad();
    const torch::Tensor logit_real = discriminator_->forward(real);           // (B)
    const torch::Tensor logit_fake = discriminator_->forward(fake.detach());  // (B)
    const torch::Tensor loss_d =
        F::binary_cross_entropy_with_logits(logit_real, torch::ones_like(logit_real)) +
        F::binary_cross_entropy_with_logits(logit_fake, torch::zeros_like(logit_fake));
    loss_d.backward();
    opt_d_.step();

    // Generator, non-saturating: maximise log D(G(z)). D's weights need no gradient here,
    // which skips its weight-gradient GEMMs.
    set_requires_grad(*discriminator_, false);
    opt_g_.zero_grad();
    const torch::Tensor logit_gen = discriminator_->forward(fake);
    const torch::Tensor loss_g =
        F::binary_cross_entropy_with_logits(logit_gen, torch::ones_like(logit_gen));
    loss_g.backward();
    opt_g_.step();

    return {{"loss_d", loss_d.detach()},
            {"loss_g", loss_g.detach()},
            {"d_real", torch::sigmoid(logit_real.detach()).mean()},
            {"d_fake", torch::sigmoid(logit_fake.detach()).mean()}};
  }

  void begin_step(int64_t /*step*/, double lr) override {
    opt_g_.set_lr(lr);
    opt_d_.set_lr(lr);
  }

  SampleOutput sample(const SampleRequest& request) override {
    torch::NoGradGuard no_grad;
    torch::Tensor z;
    if (request.fixed_noise) {
      z = noise_bank_.narrow(0, 0, std::min(request.n, noise_bank_.size(0)));
    } else {
      auto gen = at::detail::createCPUGenerator(request.seed);
      z = torch::randn({request.n, options_.latent_dim}, gen);  // CPU: same images on any device
    }
    const auto ema = request.use_ema && opt_g_.ema() ? opt_g_.ema()->apply() : nullptr;
    generator_->eval();
    torch::Tensor images = generator_->forward(z.to(device_)).to(torch::kCPU);
    generator_->train();
    return {images, 0, ""};
  }

  void save(torch::serialize::OutputArchive& archive) override {
    torch::serialize::OutputArchive g, d, og, od;
    generator_->save(g);
    discriminator_->save(d);
    opt_g_.save(og);
    opt_d_.save(od);
    archive.write("generator", g);
    archive.write("discriminator", d);
    archive.write("optim_generator", og);
    archive.write("optim_discriminator", od);
    archive.write("noise_bank", noise_bank_);
  }

  void load(torch::serialize::InputArchive& archive) override {
    torch::serialize::InputArchive g, d, og, od;
    archive.read("generator", g);
    archive.read("discriminator", d);
    archive.read("optim_generator", og);
    archive.read("optim_discriminator", od);
    generator_->load(g);
    discriminator_->load(d);
    opt_g_.load(og);
    opt_d_.load(od);
    archive.read("noise_bank", noise_bank_);
    noise_bank_ = noise_bank_.to(torch::kCPU);
  }

  std::vector<std::pair<std::string, int64_t>> parameter_counts() const override {
    return {{"generator", count_parameters(*generator_)},
            {"discriminator", count_parameters(*discriminator_)}};
  }

 private:
  // Initialised on the CPU (same weights for a seed on any device), then moved.
  template <class Net>
  static Net ready(Net net, const torch::Device& device) {
    init_dcgan_weights(*net);
    net->to(device);
    return net;
  }

  static void set_requires_grad(torch::nn::Module& module, bool on) {
    for (auto& p : module.parameters()) p.set_requires_grad(on);
  }

  DcganOptions options_;
  torch::Device device_;
  Generator generator_;
  Discriminator discriminator_;
  NetOptimizer opt_g_;  // owns the generator's EMA when train.ema > 0
  NetOptimizer opt_d_;
  torch::Tensor noise_bank_;  // (n_samples, latent) on the CPU
};

std::unique_ptr<GenerativeModel> build_dcgan(const ModelContext& ctx) {
  const int64_t s = ctx.data.height;
  if (ctx.data.width != s || s < 16 || (s & (s - 1)) != 0) {
    throw ConfigError(ctx.config.source.file + ": model.kind dcgan needs square images whose size is a power of two >= 16; the data is " +
                      std::to_string(ctx.data.height) + "x" + std::to_string(ctx.data.width) +
                      " (set data.image_size, e.g. 32)");
  }
  if (ctx.config.train.accumulate != 1) {
    throw ConfigError(ctx.config.source.file + ": train.accumulate: model.kind dcgan trains D and G in turn on whole batches; use 1");
  }
  return std::make_unique<Dcgan>(ctx);
}

}  // namespace

void register_dcgan() {
  register_model(ModelKind{
      "dcgan", "DCGAN generator + discriminator, non-saturating GAN loss (images)",
      [](const Config&) { return CpuWorkload::kConvolution; }, resolve_model_options_as<DcganOptions>,
      model_option_lines<DcganOptions>, build_dcgan});
}

}  // namespace gen
