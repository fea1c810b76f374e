// Diffusion models: a U-Net (models/unet.h, diffusers' UNet2DModel) trained to denoise images,
// by one of three objectives: eps (DDPM noise prediction, Ho et al. 2020), v (Salimans & Ho
// 2022) over a discrete schedule (models/noise_schedule.h), optionally min-SNR-gamma weighted
// (Hang et al. 2023), or flow matching (Lipman et al. 2023; rectified flow, Liu et al. 2023:
// x_t = (1 - t) x0 + t eps, velocity target eps - x0, t uniform or logit-normal as in SD3).
// Class-conditional through diffusers' class embedding, with label dropout to a "no class"
// row for classifier-free guidance (Ho & Salimans 2022). Samplers: models/diffusion_sampler.h.
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "config/config.h"
#include "models/batch_random.h"
#include "models/diffusion_sampler.h"
#include "models/generative_model.h"
#include "models/memory_format.h"
#include "models/model_options.h"
#include "models/noise.h"
#include "models/noise_schedule.h"
#include "models/registry.h"
#include "models/unet.h"
#include "optim/ema.h"
#include "optim/net_optimizer.h"
#include "util/errors.h"

namespace gen {

enum class FlowTime { kUniform, kLogitNormal };
template <>
struct EnumNames<FlowTime> {
  static constexpr std::array<std::string_view, 2> names{"uniform", "logit_normal"};
};

namespace {

struct DiffusionOptions {
  DiffusionObjective objective = DiffusionObjective::kEps;
  BetaSchedule schedule = BetaSchedule::kLinear;
  int64_t timesteps = 1000;
  double beta_start = 1e-4;
  double beta_end = 0.02;
  double min_snr_gamma = 0.0;
  FlowTime flow_time = FlowTime::kLogitNormal;
  double flow_time_mean = 0.0;
  double flow_time_std = 1.0;
  std::vector<int64_t> block_out_channels{32, 64, 64};
  std::vector<int64_t> attention_levels{2};
  bool mid_attention = true;
  int64_t layers_per_block = 1;
  int64_t norm_groups = 8;
  int64_t attention_head_dim = 8;
  double dropout = 0.0;
  bool conditional = false;
  double label_dropout = 0.1;
  DiffusionSampler sampler = DiffusionSampler::kAuto;
  int64_t sample_steps = 50;
  double eta = 0.0;
  double guidance = 1.0;
  std::vector<double> guidance_interval{0.0, 1.0};
  bool clip_sample = true;
  double sample_shift = 1.0;

  template <class V>
  void visit(V& v) {
    v("objective", objective, "what the U-Net predicts: eps (the noise), v (velocity of a discrete schedule), flow "
      "(flow matching: the velocity eps - x0)");
    v("schedule", schedule, "eps, v: the beta schedule over the training steps");
    v("timesteps", timesteps,
      Doc("eps, v: steps T of the discrete schedule; flow: the model timestep is T times the flow time")
          .range(2, 100000));
    v("beta_start", beta_start, Doc("linear schedule: the first beta").range(1e-8, 0.5));
    v("beta_end", beta_end, Doc("linear schedule: the last beta").range(1e-8, 0.999));
    v("min_snr_gamma", min_snr_gamma,
      Doc("eps, v: weight each example's loss by min(SNR, gamma) / SNR (eps) or / (SNR + 1) (v); 0 = off")
          .range(0, 1000));
    v("flow_time", flow_time, "flow: how training draws t in (0, 1)");
    v("flow_time_mean", flow_time_mean, Doc("flow, logit_normal: the mean of logit(t)").range(-10, 10));
    v("flow_time_std", flow_time_std, Doc("flow, logit_normal: the standard deviation of logit(t)").range(1e-3, 10));
    v("block_out_channels", block_out_channels,
      Doc("channels of each U-Net level, from the input side; each level but the last halves the image side")
          .range(1, 4096));
    v("attention_levels", attention_levels,
      Doc("levels (0 = the first) whose down and up blocks have self-attention").range(0, 16));
    v("mid_attention", mid_attention, "self-attention in the middle block");
    v("layers_per_block", layers_per_block, Doc("resnet blocks per down block (up blocks have one more)").range(1, 16));
    v("norm_groups", norm_groups, Doc("GroupNorm groups; divides every level's channels").range(1, 1024));
    v("attention_head_dim", attention_head_dim,
      Doc("channels per attention head; divides the channels of every attending level").range(1, 4096));
    v("dropout", dropout, Doc("dropout inside the resnet blocks").range(0, 0.9));
    v("conditional", conditional, "class-conditional: a class embedding added to the time embedding (labelled data)");
    v("label_dropout", label_dropout,
      Doc("conditional: fraction of training labels replaced by 'no class', for classifier-free guidance")
          .range(0, 1));
    v("sampler", sampler, "how samples are drawn: auto (ddim for eps and v, euler for flow), ddpm, ddim, euler, heun");
    v("sample_steps", sample_steps, Doc("sampler steps (heun evaluates the network 2 steps - 1 times)").range(1, 100000));
    v("eta", eta,
      Doc("ddim, euler: noise added at each step, 0 deterministic, 1 the full DDPM posterior's").range(0, 1));
    v("guidance", guidance,
      Doc("conditional: classifier-free guidance scale s, out = uncond + s (cond - uncond); 1 = conditional alone")
          .range(0, 100));
    v("guidance_interval", guidance_interval,
      Doc("[lo, hi]: guidance applies only at the sampler steps whose noise level (flow time, or timestep / "
          "model.timesteps) lies in it, the model alone elsewhere (Kynkaanniemi et al. 2024); [0, 1] = every step")
          .range(0, 1));
    v("clip_sample", clip_sample, "ddpm, ddim: clamp each predicted clean image to [-1, 1]");
    v("sample_shift", sample_shift,
      Doc("euler, heun: the sampler's flow times t become k t / (1 + (k - 1) t) (diffusers' "
          "FlowMatchEulerDiscreteScheduler shift k); below 1 the steps crowd near the data, above 1 near the noise")
          .range(0.01, 100));
  }
};

UNetShape unet_shape(const DiffusionOptions& o, const DataSpec& d) {
  UNetShape s;
  s.in_channels = s.out_channels = d.shape.channels;
  s.block_out_channels = o.block_out_channels;
  s.attention.assign(o.block_out_channels.size(), false);
  for (int64_t level : o.attention_levels) s.attention[size_t(level)] = true;
  s.mid_attention = o.mid_attention;
  s.layers_per_block = o.layers_per_block;
  s.norm_groups = o.norm_groups;
  s.attention_head_dim = o.attention_head_dim;
  s.dropout = o.dropout;
  s.num_class_embeds = o.conditional ? d.shape.num_classes + 1 : 0;  // the last row is "no class"
  return s;
}

class Diffusion final : public GenerativeModel {
 public:
  Diffusion(const ModelContext& ctx, const DiffusionOptions& o)
      : o_(o),
        device_(ctx.device),
        data_(ctx.data),
        classes_(o.conditional ? ctx.data.shape.num_classes : 0),
        schedule_(make_noise_schedule(o.schedule, o.timesteps, o.beta_start, o.beta_end)),
        alpha_bars_(schedule_.alphas_cumprod.to(ctx.device)),
        channels_last_(use_channels_last(ctx.config, /*auto_choice=*/false)),
        net_(laid_out(on_device(UNet2D(unet_shape(o, ctx.data)), ctx.device), channels_last_)),
        opt_(*net_, ctx.config, /*use_ema=*/true, ctx.precision),
        accumulate_(ctx.config.train.accumulate),
        grid_seed_(uint64_t(ctx.config.seed) + 0x5eed) {}

  void begin_step(int64_t /*step*/, double lr) override { opt_.set_lr(lr); }

  StepResult train_step(const Batch& batch) override {
    net_->train();
    return opt_.train(batch, accumulate_, [&](const Batch& micro) {
      const Draws d = training_draws(micro);
      const torch::Tensor loss = weighted_loss(micro, d);
      return std::make_pair(loss, Metrics{{"loss", loss.detach()}});
    });
  }

  // The training loss on a held-out batch, with t and the noise from a fixed generator (and
  // no label dropout), so evaluations along a run are comparable.
  Metrics evaluate(const Batch& batch) override {
    InferenceScope inference(*net_, opt_.ema_if(evaluate_with_ema_));
    auto gen = at::detail::createCPUGenerator(0xD1FF);
    const int64_t b = batch.x.size(0);
    Draws d;
    d.noise = torch::randn(batch.x.sizes(), gen, torch::kFloat32).to(device_);
    d.t = o_.objective == DiffusionObjective::kFlow
              ? flow_times([&] { return torch::randn({b}, gen, torch::kFloat32); },
                           [&] { return torch::rand({b}, gen, torch::kFloat32); })
              : torch::randint(0, o_.timesteps, {b}, gen, torch::kInt64);
    d.t = d.t.to(device_);
    if (classes_ > 0) d.labels = batch.y;
    auto autocast = opt_.autocast();
    return {{"loss", weighted_loss(batch, d)}};
  }

  std::vector<SampleMode> sample_modes() const override { return {SampleMode::kPrior, SampleMode::kTrajectory}; }
  bool draws_images() const override { return true; }
  bool rank_dependent_draws() const override { return false; }  // every draw goes through batch_random.h
  int64_t batch_chunks() const override { return accumulate_; }
  int64_t sample_classes() const override { return classes_; }
  std::vector<std::pair<std::string, std::string>> sampler_settings(const SamplerRequest& request) const override {
    const Sampling how = sampling(request);
    const SamplerSettings& s = how.settings;
    const DiffusionSampler kind = resolved_sampler(s.sampler, o_.objective);
    std::vector<std::pair<std::string, std::string>> out{{"sampler", std::string(enum_name(kind))},
                                                         {"steps", std::to_string(s.steps)}};
    if (kind == DiffusionSampler::kDdim || (kind == DiffusionSampler::kEuler && s.eta > 0)) {
      out.emplace_back("eta", fmt::format("{}", s.eta));
    }
    if (o_.objective == DiffusionObjective::kFlow) out.emplace_back("shift", fmt::format("{}", s.shift));
    if (classes_ > 0 || guide_) out.emplace_back("guidance", fmt::format("{}", how.guidance));
    if (how.guidance != 1.0 && !how.guides_every_step()) {
      out.emplace_back("guidance_interval", fmt::format("{},{}", how.interval_lo, how.interval_hi));
    }
    if (guide_) out.emplace_back("guide", guide_name_);
    return out;
  }

  // Autoguidance: the guide must denoise the same images on the same time axis with the same
  // classes; its U-Net may be smaller.
  void set_guide(std::unique_ptr<GenerativeModel> guide, const std::string& name) override {
    auto* other = dynamic_cast<Diffusion*>(guide.get());
    if (other == nullptr) throw UsageError("--guide " + name + ": holds no diffusion model");
    const auto differs = [&](const std::string& what, const std::string& mine, const std::string& its) {
      if (mine != its) throw UsageError("--guide " + name + ": its " + what + " is " + its + ", the model's " + mine);
    };
    differs("model.objective", std::string(enum_name(o_.objective)), std::string(enum_name(other->o_.objective)));
    differs("model.timesteps", std::to_string(o_.timesteps), std::to_string(other->o_.timesteps));
    if (o_.objective != DiffusionObjective::kFlow) {
      differs("beta schedule", fmt::format("{} {} to {}", enum_name(o_.schedule), o_.beta_start, o_.beta_end),
              fmt::format("{} {} to {}", enum_name(other->o_.schedule), other->o_.beta_start, other->o_.beta_end));
    }
    const auto& a = data_.shape;
    const auto& b = other->data_.shape;
    differs("image shape", fmt::format("{}x{}x{}", a.channels, a.height, a.width),
            fmt::format("{}x{}x{}", b.channels, b.height, b.width));
    differs("class count (model.conditional)", std::to_string(classes_), std::to_string(other->classes_));
    guide_.reset(static_cast<Diffusion*>(guide.release()));
    guide_name_ = name;
  }

  SampleOutput sample(const SampleRequest& request) override {
    InferenceScope inference(*net_, opt_.ema_if(request.use_ema));
    std::optional<InferenceScope> guide_inference;
    if (guide_) guide_inference.emplace(*guide_->net_, guide_->opt_.ema_if(request.use_ema));
    const Sampling how = sampling(request.sampler);
    int64_t n = request.n, nrow = 0;
    torch::Tensor y;
    if (classes_ > 0) {
      const RequestValues v = request_values(request, classes_, ": the model knows classes");
      n = v.n;
      nrow = v.nrow;
      y = v.y.to(device_);
    }
    auto gen = at::detail::createCPUGenerator(request.fixed_noise ? grid_seed_ : request.seed);
    const auto& shape = data_.shape;
    const torch::Tensor noise = torch::randn({n, shape.channels, shape.height, shape.width}, gen).to(device_);
    auto autocast = opt_.autocast();
    const torch::Tensor none = y.defined() ? torch::full_like(y, classes_) : torch::Tensor();
    const Denoiser denoiser = [&](const torch::Tensor& x, double t) {
      const double level = t / double(o_.timesteps);
      const bool guided = level >= how.interval_lo && level <= how.interval_hi;
      return guided_output(x, torch::full({x.size(0)}, t, x.options().dtype(torch::kFloat32)), y, none,
                           guided ? how.guidance : 1.0);
    };
    const bool trajectory = request.mode.value_or(SampleMode::kPrior) == SampleMode::kTrajectory;
    SampleOutput out;
    if (!trajectory) {
      out.images = run_sampler(how.settings, o_.objective, schedule_, noise, denoiser, gen).clamp(-1, 1);
      out.nrow = nrow;
      if (nrow > 0) {
        for (int64_t r = 0; r < classes_; ++r) out.row_labels.push_back(std::to_string(r));
      }
    } else {  // one row per sample: the noise, then x after evenly spaced steps, the last the image
      const int64_t steps = how.settings.steps, columns = std::min<int64_t>(steps + 1, kTrajectoryColumns);
      std::vector<int64_t> shown;
      for (int64_t c = 0; c < columns; ++c) shown.push_back((c * steps + (columns - 1) / 2) / (columns - 1));
      std::vector<torch::Tensor> frames;
      run_sampler(how.settings, o_.objective, schedule_, noise, denoiser, gen,
                  [&](int64_t step, const torch::Tensor& x) {
                    if (std::find(shown.begin(), shown.end(), step) != shown.end()) frames.push_back(x.clamp(-1, 1));
                  });
      out.images = torch::stack(frames, 1).flatten(0, 1);
      out.nrow = columns;
      if (classes_ > 0) {
        const torch::Tensor labels = y.cpu();
        for (int64_t r = 0; r < n; ++r) out.row_labels.push_back(std::to_string(labels[r].item<int64_t>()));
      }
    }
    out.images = out.images.to(torch::kFloat32).to(torch::kCPU);
    if (y.defined()) out.labels = y.to(torch::kCPU);
    return out;
  }

  void save(torch::serialize::OutputArchive& archive) override { save_trained(archive, "net", "optim", *net_, opt_); }
  void load(torch::serialize::InputArchive& archive) override {
    load_trained(archive, "net", "optim", *net_, opt_);
    set_layout(*net_, channels_last_);  // the checkpoint's tensors come in the layout they were saved in
  }

  std::vector<std::pair<std::string, int64_t>> parameter_counts() const override {
    return {{"unet", count_parameters(*net_)}};
  }

  // The U-Net under diffusers' names (UNet2DModel loads the state dict as it is), its
  // constructor arguments, and a probe: noisy images, timesteps and classes -> its output.
  std::vector<ExportedNetwork> exported_networks(bool use_ema) override {
    InferenceScope inference(*net_, opt_.ema_if(use_ema));
    ExportedNetwork out;
    out.name = "unet";
    out.reference = "diffusers UNet2DModel";
    out.tensors = state_dict_renamed(*net_, [](const std::string& n) { return n; });
    out.args = unet_config();
    out.scheduler = scheduler_config();
    auto gen = at::detail::createCPUGenerator(0);
    const auto& s = data_.shape;
    const torch::Tensor x = torch::randn({4, s.channels, s.height, s.width}, gen);
    const torch::Tensor t = o_.objective == DiffusionObjective::kFlow
                                ? torch::tensor({999.0f, 500.0f, 100.0f, 1.0f})
                                : torch::tensor({int64_t(o_.timesteps - 1), o_.timesteps / 2, o_.timesteps / 10, int64_t(0)});
    torch::Tensor labels;
    if (classes_ > 0) labels = torch::tensor({int64_t(0), int64_t(1) % classes_, classes_ - 1, classes_});
    const torch::Tensor output = net_->forward(x.to(device_), t.to(device_).to(torch::kFloat32),
                                               labels.defined() ? labels.to(device_) : labels);
    out.probe = {{"input", x}, {"timestep", t}, {"output", probe_copy(output)}};
    if (labels.defined()) out.probe.insert(out.probe.begin() + 2, {"class_labels", labels});
    return {out};
  }

 private:
  static constexpr int64_t kTrajectoryColumns = 11;

  struct Draws {
    torch::Tensor noise;   // like x
    torch::Tensor t;       // (B): int64 steps, or float flow times in (0, 1)
    torch::Tensor labels;  // (B) int64 with dropped labels set to `classes_`, or undefined
  };

  struct Sampling {
    SamplerSettings settings;
    double guidance = 1.0;
    double interval_lo = 0.0, interval_hi = 1.0;  // the noise levels guidance applies at
    bool guides_every_step() const { return interval_lo <= 0.0 && interval_hi >= 1.0; }
  };

  // The model's sampler settings with the request's overrides, checked against the model.
  Sampling sampling(const SamplerRequest& r) const {
    Sampling how;
    how.settings.sampler = o_.sampler;
    if (!r.sampler.empty()) {
      const auto named = enum_from_name<DiffusionSampler>(r.sampler);
      if (!named) throw UsageError("--sampler " + r.sampler + ": expected auto|ddpm|ddim|euler|heun");
      how.settings.sampler = *named;
    }
    if (const std::string why = sampler_mismatch(how.settings.sampler, o_.objective); !why.empty()) {
      throw UsageError("--sampler: " + why);
    }
    how.settings.steps = r.steps.value_or(o_.sample_steps);
    if (o_.objective != DiffusionObjective::kFlow && how.settings.steps > o_.timesteps) {
      throw UsageError("--steps " + std::to_string(how.settings.steps) + ": the model's schedule has " +
                       std::to_string(o_.timesteps) + " steps (model.timesteps), the most a sampler can take");
    }
    how.settings.eta = r.eta.value_or(o_.eta);
    const DiffusionSampler kind = resolved_sampler(how.settings.sampler, o_.objective);
    if (r.eta && *r.eta > 0 && kind != DiffusionSampler::kDdim && kind != DiffusionSampler::kEuler) {
      throw UsageError("--eta: adds noise to the steps of ddim and euler; " + std::string(enum_name(kind)) +
                       (kind == DiffusionSampler::kDdpm ? " adds its own" : " is deterministic"));
    }
    how.settings.clip_sample = o_.clip_sample;
    how.settings.shift = r.shift.value_or(o_.sample_shift);
    if (r.shift && o_.objective != DiffusionObjective::kFlow) {
      throw UsageError("--shift: shifts the flow times of euler and heun; this model's objective is " +
                       std::string(enum_name(o_.objective)) + " (a discrete schedule)");
    }
    how.guidance = r.guidance.value_or(o_.guidance);
    if (how.guidance != 1.0 && classes_ == 0 && !guide_) {
      throw UsageError("--guidance: guides a class-conditional model (model.conditional) by its class-less output, "
                       "or any diffusion model by a weaker one (--guide CKPT)");
    }
    if (guide_ && how.guidance == 1.0) {
      throw UsageError("--guide " + guide_name_ + ": has no effect at guidance 1; set --guidance S (out = guide + S "
                       "(model - guide), S > 1 to move away from the guide)");
    }
    const std::vector<double>& interval = r.guidance_interval.empty() ? o_.guidance_interval : r.guidance_interval;
    if (!r.guidance_interval.empty()) {
      if (interval.size() != 2) throw UsageError("--guidance-interval: expected two noise levels LO,HI");
      if (!(interval[0] < interval[1])) {
        throw UsageError(fmt::format("--guidance-interval {},{}: expected LO < HI", interval[0], interval[1]));
      }
      if (how.guidance == 1.0) throw UsageError("--guidance-interval: has no effect at guidance 1; set --guidance S");
    }
    how.interval_lo = interval[0];
    how.interval_hi = interval[1];
    return how;
  }

  // The network's output, guided: guide + s (model - guide). The guide is the same network
  // without the class (classifier-free guidance), computed in one batch of both halves, or
  // with --guide another checkpoint's network given the same class (autoguidance).
  // `none`: labels of the "no class" row, like y.
  torch::Tensor guided_output(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& y,
                              const torch::Tensor& none, double s) {
    if (guide_ && s != 1.0) {
      const torch::Tensor weak = guide_->net_->forward(x, t, y).to(torch::kFloat32);
      if (s == 0.0) return weak;
      return weak + s * (net_->forward(x, t, y).to(torch::kFloat32) - weak);
    }
    if (classes_ == 0) return net_->forward(x, t).to(torch::kFloat32);
    if (s == 1.0) return net_->forward(x, t, y).to(torch::kFloat32);
    if (s == 0.0) return net_->forward(x, t, none).to(torch::kFloat32);
    const torch::Tensor both = net_->forward(torch::cat({x, x}), torch::cat({t, t}), torch::cat({y, none}));
    const auto halves = both.to(torch::kFloat32).chunk(2);
    return halves[1] + s * (halves[0] - halves[1]);
  }

  // Flow times in (0, 1): logit-normal from a standard normal draw, or uniform; only the draw
  // the config asks for is made.
  template <typename Normal, typename Uniform>
  torch::Tensor flow_times(Normal normal, Uniform uniform) const {
    if (o_.flow_time == FlowTime::kLogitNormal) return torch::sigmoid(o_.flow_time_mean + o_.flow_time_std * normal());
    return uniform();
  }

  // The step's random numbers, drawn for the whole global batch (models/batch_random.h).
  Draws training_draws(const Batch& micro) const {
    const int64_t b = micro.x.size(0);
    const auto f32 = micro.x.options().dtype(torch::kFloat32);
    Draws d;
    d.noise = batch_randn(micro.x.sizes(), f32);
    if (o_.objective == DiffusionObjective::kFlow) {
      d.t = flow_times([&] { return batch_randn({b}, f32); }, [&] { return batch_rand({b}, f32); });
    } else {
      d.t = batch_randint(0, o_.timesteps, {b}, micro.x.options().dtype(torch::kInt64));
    }
    if (classes_ > 0) {
      const torch::Tensor drop = batch_rand({b}, f32) < o_.label_dropout;
      d.labels = torch::where(drop, torch::full_like(micro.y, classes_), micro.y);
    }
    return d;
  }

  // The mean over the batch of each example's (weighted) mean squared error against the target.
  torch::Tensor weighted_loss(const Batch& batch, const Draws& d) {
    const torch::Tensor x0 = batch.x.to(torch::kFloat32);
    const int64_t b = x0.size(0);
    torch::Tensor xt, target, timestep, weight;
    if (o_.objective == DiffusionObjective::kFlow) {
      const torch::Tensor t = d.t.view({b, 1, 1, 1});
      xt = (1 - t) * x0 + t * d.noise;
      target = d.noise - x0;
      timestep = d.t * double(o_.timesteps);
    } else {
      const torch::Tensor ab = alpha_bars_.index_select(0, d.t).view({b, 1, 1, 1});
      xt = ab.sqrt() * x0 + (1 - ab).sqrt() * d.noise;
      target = discrete_target(o_.objective, x0, d.noise, ab);
      timestep = d.t.to(torch::kFloat32);
      if (o_.min_snr_gamma > 0) weight = min_snr_weight(o_.objective, ab.view({b}), o_.min_snr_gamma);
    }
    const torch::Tensor out = net_->forward(xt, timestep, d.labels).to(torch::kFloat32);
    torch::Tensor per_example = (out - target).pow(2).mean({1, 2, 3});
    if (weight.defined()) per_example = per_example * weight;
    return per_example.mean();
  }

  // UNet2DModel's constructor arguments for this network (its config.json).
  std::vector<std::pair<std::string, c10::IValue>> unet_config() const {
    const UNetShape& s = net_->shape;
    c10::List<int64_t> channels;
    c10::List<std::string> down, up;
    for (size_t i = 0; i < s.block_out_channels.size(); ++i) {
      channels.push_back(s.block_out_channels[i]);
      down.push_back(s.attention[i] ? "AttnDownBlock2D" : "DownBlock2D");
    }
    for (size_t i = s.attention.size(); i-- > 0;) up.push_back(s.attention[i] ? "AttnUpBlock2D" : "UpBlock2D");
    std::vector<std::pair<std::string, c10::IValue>> args{{"sample_size", data_.shape.height},
                                                          {"in_channels", s.in_channels},
                                                          {"out_channels", s.out_channels},
                                                          {"block_out_channels", channels},
                                                          {"down_block_types", down},
                                                          {"up_block_types", up},
                                                          {"layers_per_block", s.layers_per_block},
                                                          {"norm_num_groups", s.norm_groups},
                                                          {"norm_eps", s.norm_eps},
                                                          {"attention_head_dim", s.attention_head_dim},
                                                          {"add_attention", s.mid_attention},
                                                          {"dropout", s.dropout}};
    if (s.num_class_embeds > 0) args.emplace_back("num_class_embeds", s.num_class_embeds);
    return args;
  }

  // The diffusers scheduler that steps like gen's sampler: DDIMScheduler (DDPMScheduler for
  // sampler ddpm) with gen's schedule and prediction type, or FlowMatchEulerDiscreteScheduler.
  std::vector<std::pair<std::string, c10::IValue>> scheduler_config() const {
    if (o_.objective == DiffusionObjective::kFlow) {
      return {{"_class_name", std::string("FlowMatchEulerDiscreteScheduler")},
              {"num_train_timesteps", o_.timesteps},
              {"shift", o_.sample_shift},
              {"use_dynamic_shifting", false}};
    }
    const bool ddpm = resolved_sampler(o_.sampler, o_.objective) == DiffusionSampler::kDdpm;
    std::vector<std::pair<std::string, c10::IValue>> out{
        {"_class_name", std::string(ddpm ? "DDPMScheduler" : "DDIMScheduler")},
        {"num_train_timesteps", o_.timesteps},
        {"beta_start", o_.beta_start},
        {"beta_end", o_.beta_end},
        {"beta_schedule", std::string(o_.schedule == BetaSchedule::kLinear ? "linear" : "squaredcos_cap_v2")},
        {"prediction_type", std::string(o_.objective == DiffusionObjective::kEps ? "epsilon" : "v_prediction")},
        {"clip_sample", o_.clip_sample},
        {"clip_sample_range", 1.0},
        {"thresholding", false},
        {"timestep_spacing", std::string("leading")},
        {"steps_offset", int64_t(0)},
        {"rescale_betas_zero_snr", false}};
    if (ddpm) {
      out.emplace_back("variance_type", std::string("fixed_small"));
    } else {
      out.emplace_back("set_alpha_to_one", true);
    }
    return out;
  }

  DiffusionOptions o_;
  torch::Device device_;
  DataSpec data_;
  int64_t classes_;
  NoiseSchedule schedule_;     // on the CPU: the samplers read its values as numbers
  torch::Tensor alpha_bars_;  // its alphas_cumprod on the device, gathered by every training step
  // runtime.memory_format; auto is channels-first until a measurement says otherwise
  // (docs/RESULTS.md, "Memory format").
  bool channels_last_;
  UNet2D net_;
  NetOptimizer opt_;
  int64_t accumulate_;
  uint64_t grid_seed_;  // the noise of the training grids: the same images at every sample step
  std::unique_ptr<Diffusion> guide_;  // set_guide's model, or null
  std::string guide_name_;
};

std::unique_ptr<GenerativeModel> build_diffusion(const ModelContext& ctx, const DiffusionOptions& o) {
  const std::string& file = ctx.config.source.file;
  const ImageShape& shape = ctx.data.shape;
  if (ctx.data.is_text() || shape.height <= 0) throw ConfigError(file + ": model.kind diffusion needs image data");
  const int64_t levels = int64_t(o.block_out_channels.size());
  if (levels == 0) throw ConfigError(file + ": model.block_out_channels: name at least one level");
  const int64_t halvings = int64_t(1) << (levels - 1);
  if (shape.height % halvings != 0 || shape.width % halvings != 0) {
    throw ConfigError(file + ": model.block_out_channels: " + std::to_string(levels) + " levels halve the side " +
                      std::to_string(levels - 1) + " times, so it must divide by " + std::to_string(halvings) +
                      "; the data is " + std::to_string(shape.height) + "x" + std::to_string(shape.width) +
                      " (fewer levels, or set data.image_size)");
  }
  for (int64_t c : o.block_out_channels) {
    if (c % o.norm_groups != 0) {
      throw ConfigError(file + ": model.norm_groups " + std::to_string(o.norm_groups) +
                        " must divide every level's channels (model.block_out_channels has " + std::to_string(c) + ")");
    }
  }
  for (int64_t level : o.attention_levels) {
    if (level >= levels) {
      throw ConfigError(file + ": model.attention_levels: level " + std::to_string(level) + " does not exist; levels are 0 to " +
                        std::to_string(levels - 1));
    }
  }
  std::vector<int64_t> attending;
  for (int64_t level : o.attention_levels) attending.push_back(o.block_out_channels[size_t(level)]);
  if (o.mid_attention) attending.push_back(o.block_out_channels.back());
  for (int64_t c : attending) {
    if (c % o.attention_head_dim != 0) {
      throw ConfigError(file + ": model.attention_head_dim " + std::to_string(o.attention_head_dim) +
                        " must divide the channels of every attending level (" + std::to_string(c) + ")");
    }
  }
  if (o.conditional && shape.num_classes < 2) {
    throw ConfigError(file + ": model.conditional needs labelled data with at least 2 classes");
  }
  if (const std::string why = sampler_mismatch(o.sampler, o.objective); !why.empty()) {
    throw ConfigError(file + ": model.sampler: " + why);
  }
  if (o.objective == DiffusionObjective::kFlow && o.min_snr_gamma > 0) {
    throw ConfigError(file + ": model.min_snr_gamma weights eps and v losses; objective flow has no discrete SNR");
  }
  if (o.objective != DiffusionObjective::kFlow && o.sample_steps > o.timesteps) {
    throw ConfigError(file + ": model.sample_steps " + std::to_string(o.sample_steps) + " exceeds model.timesteps " +
                      std::to_string(o.timesteps));
  }
  if (const DiffusionSampler kind = resolved_sampler(o.sampler, o.objective);
      o.eta > 0 && kind != DiffusionSampler::kDdim && kind != DiffusionSampler::kEuler) {
    throw ConfigError(file + ": model.eta adds noise to the steps of ddim and euler; model.sampler is " +
                      std::string(enum_name(kind)));
  }
  if (o.guidance_interval.size() != 2 || !(o.guidance_interval[0] < o.guidance_interval[1])) {
    throw ConfigError(file + ": model.guidance_interval: expected [lo, hi] with 0 <= lo < hi <= 1");
  }
  if (o.guidance != 1.0 && !o.conditional) {
    throw ConfigError(file + ": model.guidance applies to class-conditional models (model.conditional: true)");
  }
  if (o.sample_shift != 1.0 && o.objective != DiffusionObjective::kFlow) {
    throw ConfigError(file + ": model.sample_shift shifts the flow times of euler and heun (objective flow); "
                      "model.objective is " + std::string(enum_name(o.objective)));
  }
  return std::make_unique<Diffusion>(ctx, o);
}

}  // namespace

void register_diffusion() {
  register_family<DiffusionOptions>("diffusion", "denoising diffusion or flow matching with a U-Net (images)",
                                    [](const DiffusionOptions&) { return CpuWorkload::kConvolution; },
                                    build_diffusion);
}

}  // namespace gen
