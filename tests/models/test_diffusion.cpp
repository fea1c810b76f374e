// The diffusion family's parts against diffusers' own numbers (printed by diffusers 0.42.1 on
// torch 2.13: DDPMScheduler.alphas_cumprod, DDIMScheduler.timesteps, get_timestep_embedding,
// UNet2DModel's parameter count), and its samplers against an exact denoiser.
#include <catch2/catch.hpp>

#include <set>

#include "cli/export_diffusers.h"
#include "config/config.h"
#include "models/attention_kernel.h"
#include "models/diffusion_objective.h"
#include "models/diffusion_sampler.h"
#include "models/generative_model.h"
#include "models/noise_schedule.h"
#include "models/registry.h"
#include "models/unet.h"
#include "support/attention_check.h"
#include "util/errors.h"

namespace {

gen::Config diffusion_config(const std::string& model) {
  gen::Config c = gen::parse_config("model: {kind: diffusion, " + model + "}\n", "test");
  gen::resolve_model_options(c);
  return c;
}

}  // namespace

TEST_CASE("diffusion: the noise schedules are diffusers' (alphas_cumprod of linear and squaredcos_cap_v2)",
          "[model][diffusion]") {
  const gen::NoiseSchedule linear = gen::make_noise_schedule(gen::BetaSchedule::kLinear, 1000, 1e-4, 0.02);
  const std::vector<std::pair<int64_t, double>> linear_ab{
      {0, 0.9998999834060669}, {1, 0.9997800588607788}, {499, 0.07858723402023315}, {999, 4.035830352222547e-05}};
  for (const auto& [t, ab] : linear_ab) CHECK(linear.alpha_bar_at(t) == Approx(ab).epsilon(1e-6));
  const gen::NoiseSchedule cosine = gen::make_noise_schedule(gen::BetaSchedule::kCosine, 1000, 1e-4, 0.02);
  const std::vector<std::pair<int64_t, double>> cosine_ab{{0, 0.9999586939811707},
                                                          {499, 0.4938434660434723},
                                                          {998, 2.428766265438753e-06},
                                                          {999, 2.4287349909002387e-09}};
  for (const auto& [t, ab] : cosine_ab) CHECK(cosine.alpha_bar_at(t) == Approx(ab).epsilon(1e-5));
  CHECK(cosine.betas[999].item<float>() == Approx(0.999));  // the cap
  CHECK(linear.alpha_bar_at(-1) == 1.0);                    // set_alpha_to_one
}

TEST_CASE("diffusion: sampler steps are diffusers' leading spacing", "[model][diffusion]") {
  const std::vector<int64_t> fifty = gen::leading_timesteps(1000, 50);
  REQUIRE(fifty.size() == 50);
  CHECK(std::vector<int64_t>(fifty.begin(), fifty.begin() + 3) == std::vector<int64_t>{980, 960, 940});
  CHECK(std::vector<int64_t>(fifty.end() - 2, fifty.end()) == std::vector<int64_t>{20, 0});
  CHECK(gen::leading_timesteps(100, 7) == std::vector<int64_t>{84, 70, 56, 42, 28, 14, 0});
}

TEST_CASE("diffusion: flow samplers visit diffusers' FlowMatchEulerDiscreteScheduler sigmas, shift included",
          "[model][diffusion]") {
  // FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=k).set_timesteps(n).sigmas, diffusers 0.42.1
  // (float32 there, so 1e-6 relative)
  const std::vector<std::tuple<double, int64_t, std::vector<double>>> cases{
      {1.0, 5, {1.0, 0.750249982, 0.500500023, 0.250750005, 0.00100000005, 0.0}},
      {0.5, 5, {1.0, 0.600160122, 0.333555698, 0.143102214, 0.000250187644, 0.0}},
      {3.0, 4, {1.0, 0.857692301, 0.602150559, 0.00892857183, 0.0}},
      {0.5, 1, {1.0, 0.0}}};
  for (const auto& [shift, n, expected] : cases) {
    INFO("shift " << shift << ", " << n << " steps");
    const std::vector<double> sigmas = gen::flow_sigmas(1000, n, shift);
    REQUIRE(sigmas.size() == expected.size());
    for (size_t i = 0; i < sigmas.size(); ++i) CHECK(sigmas[i] == Approx(expected[i]).epsilon(1e-6));
  }
}

TEST_CASE("diffusion: the timestep embedding is diffusers' get_timestep_embedding (flip_sin_to_cos, shift 0)",
          "[model][diffusion]") {
  const torch::Tensor e = gen::timestep_embedding(torch::tensor({0.0f, 1.0f, 37.5f, 999.0f}), 8);
  const std::vector<std::vector<float>> want{
      {1.0f, 1.0f, 1.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f},
      {0.5403023362f, 0.9950041771f, 0.9999499917f, 0.9999995232f, 0.8414709568f, 0.0998334140f, 0.0099998331f,
       0.0009999998f},
      {0.9802426696f, -0.8205595016f, 0.9305076003f, 0.9992969632f, -0.1977988034f, -0.5715610981f, 0.3662725389f,
       0.0374912098f},
      {0.9996498228f, 0.8074550629f, -0.8444697857f, 0.5411435366f, -0.0264607519f, -0.5899291039f, -0.5356031656f,
       0.8409302235f}};
  for (size_t i = 0; i < want.size(); ++i) {
    for (size_t j = 0; j < want[i].size(); ++j) {
      CHECK(e[int64_t(i)][int64_t(j)].item<float>() == Approx(want[i][j]).margin(2e-6));
    }
  }
}

TEST_CASE("diffusion: attention is softmax(q k^T / sqrt(d)) v in every precision and at every length",
          "[model][diffusion]") {
  // Both sides of models/attention_kernel.h's length bound: in bf16 the plain ops, then the fused kernel.
  for (const int64_t tokens : {gen::kPlainAttentionMaxTokens, gen::kPlainAttentionMaxTokens + 1}) {
    for (const auto dtype : {torch::kFloat, torch::kBFloat16}) {
      gen::test::check_attention(gen::multi_head_attention, tokens, dtype, /*causal=*/false);
    }
  }
  const auto q = [](int64_t tokens, torch::ScalarType dtype) { return torch::zeros({1, 1, tokens, 8}, dtype); };
  CHECK(gen::plain_attention_is_faster(q(gen::kPlainAttentionMaxTokens, torch::kBFloat16)));
  CHECK(!gen::plain_attention_is_faster(q(gen::kPlainAttentionMaxTokens + 1, torch::kBFloat16)));
  CHECK(!gen::plain_attention_is_faster(q(49, torch::kFloat)));
}

TEST_CASE("diffusion: the U-Net has UNet2DModel's parameters, under its names and shapes", "[model][diffusion]") {
  gen::UNetShape s;
  s.block_out_channels = {8, 16};
  s.attention = {false, true};
  s.norm_groups = 4;
  s.num_class_embeds = 11;
  gen::UNet2D net(s);
  std::map<std::string, std::vector<int64_t>> shapes;
  int64_t count = 0;
  for (const auto& item : net->named_parameters()) {
    shapes[item.key()] = item.value().sizes().vec();
    count += item.value().numel();
  }
  // UNet2DModel(sample_size=16, block_out_channels=[8, 16], down DownBlock2D + AttnDownBlock2D, up
  // AttnUpBlock2D + UpBlock2D, layers_per_block=1, norm_num_groups=4, attention_head_dim=8,
  // num_class_embeds=11): 45,321 parameters in 145 tensors.
  CHECK(count == 45321);
  CHECK(shapes.size() == 145);
  const std::map<std::string, std::vector<int64_t>> some{
      {"conv_in.weight", {8, 1, 3, 3}},
      {"time_embedding.linear_1.weight", {32, 8}},
      {"time_embedding.linear_2.bias", {32}},
      {"class_embedding.weight", {11, 32}},
      {"down_blocks.0.resnets.0.time_emb_proj.weight", {8, 32}},
      {"down_blocks.0.downsamplers.0.conv.weight", {8, 8, 3, 3}},
      {"down_blocks.1.resnets.0.conv_shortcut.weight", {16, 8, 1, 1}},
      {"down_blocks.1.attentions.0.to_out.0.weight", {16, 16}},
      {"mid_block.attentions.0.group_norm.weight", {16}},
      {"mid_block.resnets.1.conv2.weight", {16, 16, 3, 3}},
      {"up_blocks.0.resnets.0.conv1.weight", {16, 32, 3, 3}},
      {"up_blocks.0.resnets.1.conv1.weight", {16, 24, 3, 3}},
      {"up_blocks.0.attentions.1.to_q.weight", {16, 16}},
      {"up_blocks.0.upsamplers.0.conv.weight", {16, 16, 3, 3}},
      {"up_blocks.1.resnets.1.conv_shortcut.weight", {8, 16, 1, 1}},
      {"conv_norm_out.bias", {8}},
      {"conv_out.weight", {1, 8, 3, 3}}};
  for (const auto& [name, shape] : some) {
    INFO(name);
    REQUIRE(shapes.count(name) == 1);
    CHECK(shapes[name] == shape);
  }
  const torch::Tensor out = net->forward(torch::randn({2, 1, 16, 16}), torch::tensor({3.0f, 70.0f}),
                                         torch::tensor({int64_t(1), int64_t(10)}));
  CHECK(out.sizes() == torch::IntArrayRef({2, 1, 16, 16}));
}

namespace {
// The exact network output for data that is one image `c`: eps, v or the flow velocity of x
// at its timestep, from the schedule (the path x_t = sqrt(ab) c + sqrt(1 - ab) eps) or the flow path.
gen::Denoiser exact_denoiser(gen::DiffusionObjective objective, const gen::NoiseSchedule& schedule,
                             const torch::Tensor& c) {
  return [objective, &schedule, c](const torch::Tensor& x, double t) {
    if (objective == gen::DiffusionObjective::kFlow) return (x - c) / (t / double(schedule.steps()));
    const double ab = schedule.alpha_bar_at(int64_t(t));
    const torch::Tensor eps = (x - std::sqrt(ab) * c) / std::sqrt(1 - ab);
    return objective == gen::DiffusionObjective::kEps ? eps : std::sqrt(ab) * eps - std::sqrt(1 - ab) * c;
  };
}
}  // namespace

TEST_CASE("diffusion: the training targets are what the samplers invert, and min-SNR weighs the x0 error",
          "[model][diffusion]") {
  torch::manual_seed(3);
  const torch::Tensor x0 = torch::rand({4, 1, 3, 3}, torch::kDouble) * 2 - 1;
  const torch::Tensor noise = torch::randn({4, 1, 3, 3}, torch::kDouble);
  const double gamma = 5.0;
  for (const auto objective : {gen::DiffusionObjective::kEps, gen::DiffusionObjective::kV}) {
    for (const double ab : {0.999, 0.9, 0.5, 0.1, 0.004}) {  // snr 999, 9, 1, 0.11, 0.004
      INFO("objective " << int(objective) << ", alpha_bar " << ab);
      const torch::Tensor abt = torch::full({1, 1, 1, 1}, ab, torch::kDouble);
      const torch::Tensor x = std::sqrt(ab) * x0 + std::sqrt(1 - ab) * noise;
      const torch::Tensor target = gen::discrete_target(objective, x0, noise, abt);
      const auto [x0_hat, eps_hat] = gen::predicted_x0_eps(objective, x, target, ab);
      CHECK(torch::allclose(x0_hat, x0, 1e-9, 1e-9));
      CHECK(torch::allclose(eps_hat, noise, 1e-9, 1e-9));
      // An error in the output is an error in x0; the weighted output loss equals
      // min(snr, gamma) times the x0 loss.
      const torch::Tensor off = torch::randn_like(target) * 0.01;
      const torch::Tensor x0_off = gen::predicted_x0_eps(objective, x, target + off, ab).first;
      const double weight = gen::min_snr_weight(objective, torch::full({1}, ab, torch::kDouble), gamma).item<double>();
      const double snr = ab / (1 - ab);
      CHECK(weight * off.pow(2).sum().item<double>() ==
            Approx(std::min(snr, gamma) * (x0_off - x0).pow(2).sum().item<double>()).epsilon(1e-6));
    }
  }
  // v at the two ends: the noise when the image is clean, minus the image when all is noise.
  const torch::Tensor one = torch::ones({1, 1, 1, 1}, torch::kDouble), zero = torch::zeros_like(one);
  CHECK(torch::allclose(gen::discrete_target(gen::DiffusionObjective::kV, x0, noise, one), noise));
  CHECK(torch::allclose(gen::discrete_target(gen::DiffusionObjective::kV, x0, noise, zero), -x0));
}

TEST_CASE("diffusion: every sampler lands on the data when the network is exact", "[model][diffusion]") {
  const gen::NoiseSchedule schedule = gen::make_noise_schedule(gen::BetaSchedule::kLinear, 1000, 1e-4, 0.02);
  const torch::Tensor c = torch::linspace(-0.9, 0.9, 16).view({1, 1, 4, 4});
  using O = gen::DiffusionObjective;
  using S = gen::DiffusionSampler;
  const std::vector<std::tuple<O, S, int64_t, double>> cases{
      {O::kEps, S::kDdim, 50, 0.0}, {O::kEps, S::kDdim, 7, 1.0}, {O::kV, S::kDdim, 20, 0.0},
      {O::kEps, S::kDdpm, 25, 0.0}, {O::kV, S::kDdpm, 1000, 0.0}, {O::kFlow, S::kEuler, 10, 0.0},
      {O::kFlow, S::kEuler, 10, 1.0}, {O::kFlow, S::kEuler, 3, 0.5}, {O::kFlow, S::kHeun, 4, 0.0}};
  for (const double shift : {1.0, 0.4}) {
    for (const auto& [objective, sampler, steps, eta] : cases) {
      INFO(gen::enum_name(objective) << " " << gen::enum_name(sampler) << " " << steps << " steps, eta " << eta
                                     << ", shift " << shift);
      gen::SamplerSettings settings;
      settings.sampler = sampler;
      settings.steps = steps;
      settings.eta = eta;
      settings.shift = shift;
      auto generator = at::detail::createCPUGenerator(3);
      const torch::Tensor noise = torch::randn({3, 1, 4, 4}, generator);
      int64_t observed = 0;
      const torch::Tensor x =
          gen::run_sampler(settings, objective, schedule, noise, exact_denoiser(objective, schedule, c), generator,
                           [&](int64_t, const torch::Tensor&) { ++observed; });
      CHECK((x - c).abs().max().item<float>() < 1e-4);
      CHECK(observed == steps + 1);
    }
  }
}

TEST_CASE("diffusion: euler with eta steps through the DDPM posterior of the flow path", "[model][diffusion]") {
  // Data that is one image (0): every step's x is t eps with eps standard normal whatever eta
  // is, and eta sets how much of eps a step keeps: the correlation of eps between the flow
  // times t and n < t is 1 at eta 0 and alpha_t sigma_n / (alpha_n sigma_t) = (1 - t) n / ((1 - n) t)
  // at eta 1 (the posterior q(x_n | x_t, x0)); in between sqrt(1 - eta^2 (1 - that^2)).
  const gen::NoiseSchedule schedule = gen::make_noise_schedule(gen::BetaSchedule::kLinear, 1000, 1e-4, 0.02);
  const torch::Tensor c = torch::zeros({1, 1, 4, 4});
  const std::vector<double> sigmas = gen::flow_sigmas(1000, 5, 1.0);
  for (const double eta : {0.0, 0.5, 1.0}) {
    INFO("eta " << eta);
    gen::SamplerSettings settings;
    settings.sampler = gen::DiffusionSampler::kEuler;
    settings.steps = 5;
    settings.eta = eta;
    auto generator = at::detail::createCPUGenerator(4);
    const torch::Tensor noise = torch::randn({4096, 1, 4, 4}, generator);
    std::vector<torch::Tensor> eps;  // x / t after each step but the last (t = 0)
    gen::run_sampler(settings, gen::DiffusionObjective::kFlow, schedule, noise,
                     exact_denoiser(gen::DiffusionObjective::kFlow, schedule, c), generator,
                     [&](int64_t step, const torch::Tensor& x) {
                       if (step < 5) eps.push_back((x / sigmas[size_t(step)]).flatten().to(torch::kDouble));
                     });
    for (size_t i = 1; i + 1 < eps.size(); ++i) {  // from t = sigmas[i] to n = sigmas[i + 1]
      const double t = sigmas[i], n = sigmas[i + 1];
      const double posterior = (1 - t) * n / ((1 - n) * t);
      const double expected = std::sqrt(1 - eta * eta * (1 - posterior * posterior));
      INFO("from t " << t << " to " << n);
      CHECK(eps[i + 1].std().item<double>() == Approx(1).margin(0.02));
      CHECK((eps[i] * eps[i + 1]).mean().item<double>() == Approx(expected).margin(0.02));
    }
  }
}

TEST_CASE("diffusion: gen export --format diffusers says what the scheduler leaves out of the sampler",
          "[model][diffusion]") {
  const auto gaps = [](const std::string& model) {
    return gen::diffusers_sampling_gaps(
        gen::build_model(diffusion_config(model + ", block_out_channels: [8], attention_levels: [], norm_groups: 4"),
                         gen::DataSpec::image(1, 8, 8), torch::kCPU)
            ->sampler_settings({}));
  };
  CHECK(gaps("objective: flow").empty());
  CHECK(gaps("objective: eps").empty());
  CHECK(gaps("objective: flow, eta: 0.5") ==
        std::vector<std::string>{"model.eta 0.5: gen's Euler steps add noise; diffusers' "
                                 "FlowMatchEulerDiscreteScheduler steps without it, as gen sample --eta 0 does"});
  CHECK(gaps("objective: v, eta: 1") ==
        std::vector<std::string>{"model.eta 1: pass eta=1 to DDIMPipeline (its default is 0)"});
}

TEST_CASE("diffusion: a sampler refuses a model of the other kind", "[model][diffusion]") {
  using O = gen::DiffusionObjective;
  using S = gen::DiffusionSampler;
  CHECK(gen::sampler_mismatch(S::kEuler, O::kEps) != "");
  CHECK(gen::sampler_mismatch(S::kDdim, O::kFlow) != "");
  CHECK(gen::sampler_mismatch(S::kDdpm, O::kV) == "");
  CHECK(gen::resolved_sampler(S::kAuto, O::kFlow) == S::kEuler);
  CHECK(gen::resolved_sampler(S::kAuto, O::kV) == S::kDdim);
  CHECK_THROWS_AS(gen::build_model(diffusion_config("objective: flow, sampler: ddim"), gen::DataSpec::image(1, 8, 8),
                                   torch::kCPU),
                  gen::ConfigError);
  CHECK_THROWS_WITH(gen::build_model(diffusion_config("objective: eps, sample_shift: 2"),
                                     gen::DataSpec::image(1, 8, 8), torch::kCPU),
                    Catch::Contains("model.sample_shift"));
}

TEST_CASE("diffusion: the same seed draws the same images, another seed others, and guidance needs classes",
          "[model][diffusion]") {
  torch::manual_seed(0);
  auto m = gen::build_model(
      diffusion_config("timesteps: 50, block_out_channels: [8, 8], attention_levels: [], norm_groups: 4, "
                       "sample_steps: 4, conditional: true"),
      gen::DataSpec::image(1, 8, 8, 3), torch::kCPU);
  gen::SampleRequest r;
  r.n = 6;
  r.seed = 5;
  r.sampler.sampler = "ddpm";
  const gen::SampleOutput a = m->sample(r), b = m->sample(r);
  CHECK(a.images.sizes() == torch::IntArrayRef({6, 1, 8, 8}));
  CHECK(a.row_labels == std::vector<std::string>{"0", "1", "2"});
  CHECK(torch::equal(a.images, b.images));
  r.seed = 6;
  CHECK(!torch::equal(m->sample(r).images, a.images));
  r.sampler.guidance = 3.0;
  r.label = 2;
  CHECK(m->sample(r).images.sizes() == torch::IntArrayRef({6, 1, 8, 8}));
  r.mode = gen::SampleMode::kTrajectory;
  const gen::SampleOutput path = m->sample(r);
  CHECK(path.nrow == 5);  // the noise and 4 steps
  CHECK(path.images.size(0) == 30);
  auto flow = gen::build_model(
      diffusion_config("objective: flow, block_out_channels: [8], attention_levels: [], norm_groups: 4"),
      gen::DataSpec::image(1, 8, 8), torch::kCPU);
  gen::SampleRequest guided;
  guided.sampler.guidance = 2.0;
  CHECK_THROWS_AS(flow->sample(guided), gen::UsageError);
  CHECK(flow->sampler_settings({}) ==
        std::vector<std::pair<std::string, std::string>>{{"sampler", "euler"}, {"steps", "50"}, {"shift", "1"}});
  // --shift moves the flow sampler's times (and is reported); a discrete-schedule model refuses it.
  gen::SampleRequest plain, shifted;
  plain.n = shifted.n = 2;
  plain.sampler.steps = shifted.sampler.steps = 3;
  shifted.sampler.shift = 3.0;
  CHECK(flow->sampler_settings(shifted.sampler).at(2) == std::pair<std::string, std::string>{"shift", "3"});
  CHECK(!torch::allclose(flow->sample(plain).images, flow->sample(shifted).images));
  r.sampler.shift = 2.0;
  CHECK_THROWS_WITH(m->sample(r), Catch::Contains("--shift: shifts the flow times"));
  // --eta adds noise to euler's steps (and is reported), the same seed the same noise; heun refuses it.
  gen::SampleRequest noisy = plain;
  noisy.sampler.eta = 1.0;
  const torch::Tensor noisy_images = flow->sample(noisy).images;
  CHECK(torch::equal(flow->sample(noisy).images, noisy_images));
  CHECK(!torch::allclose(noisy_images, flow->sample(plain).images));
  CHECK(flow->sampler_settings(noisy.sampler).at(2) == std::pair<std::string, std::string>{"eta", "1"});
  noisy.sampler.sampler = "heun";
  CHECK_THROWS_WITH(flow->sample(noisy),
                    Catch::Contains("--eta: adds noise to the steps of ddim and euler; heun is deterministic"));
}

TEST_CASE("diffusion: a guidance interval guides only the steps whose noise level lies in it", "[model][diffusion]") {
  torch::manual_seed(0);
  auto m = gen::build_model(
      diffusion_config("objective: flow, block_out_channels: [8], attention_levels: [], norm_groups: 4, "
                       "sample_steps: 4, conditional: true"),
      gen::DataSpec::image(1, 8, 8, 3), torch::kCPU);
  // Euler's 4 steps start at flow times 1, 0.667, 0.334 and 0.001; the trajectory shows x
  // before the first step and after each (columns 0 to 4).
  const auto columns = [&](double guidance, const std::vector<double>& interval) {
    gen::SampleRequest r;
    r.n = 3;
    r.seed = 2;
    r.label = 1;
    r.mode = gen::SampleMode::kTrajectory;
    r.sampler.guidance = guidance;
    r.sampler.guidance_interval = interval;
    return m->sample(r).images.view({3, 5, 1, 8, 8});
  };
  const auto same = [](const torch::Tensor& a, const torch::Tensor& b, int64_t column) {
    return torch::equal(a.select(1, column), b.select(1, column));
  };
  const torch::Tensor alone = columns(1.0, {}), guided = columns(3.0, {});
  REQUIRE(!same(alone, guided, 1));
  const torch::Tensor early = columns(3.0, {0.5, 1.0});  // guided at 1 and 0.667 only
  CHECK(same(early, guided, 1));
  CHECK(same(early, guided, 2));
  CHECK(!same(early, guided, 3));
  const torch::Tensor late = columns(3.0, {0.0, 0.5});  // guided at 0.334 and 0.001 only
  CHECK(same(late, alone, 1));
  CHECK(same(late, alone, 2));
  CHECK(!same(late, alone, 3));
  CHECK(torch::equal(columns(3.0, {0.0, 1.0}), guided));
  CHECK(torch::equal(columns(3.0, {0.7, 0.9}), alone));  // no step starts in it
  gen::SamplerRequest asked;
  asked.guidance = 3.0;
  asked.guidance_interval = {0.5, 1.0};
  CHECK(m->sampler_settings(asked).at(4) == std::pair<std::string, std::string>{"guidance_interval", "0.5,1"});
  CHECK_THROWS_WITH(columns(3.0, {0.6, 0.5}), Catch::Contains("--guidance-interval 0.6,0.5: expected LO < HI"));
  CHECK_THROWS_WITH(columns(1.0, {0.5, 1.0}), Catch::Contains("--guidance-interval: has no effect at guidance 1"));
}

TEST_CASE("diffusion: autoguidance by another checkpoint's U-Net (--guide): guide + s (model - guide)",
          "[model][diffusion]") {
  const gen::DataSpec data = gen::DataSpec::image(1, 8, 8);
  const std::string flow = "objective: flow, attention_levels: [], sample_steps: 4, ";
  torch::manual_seed(0);
  auto model = gen::build_model(diffusion_config(flow + "block_out_channels: [8], norm_groups: 4"), data, torch::kCPU);
  torch::manual_seed(1);  // a smaller U-Net with other weights, as autoguidance's weaker model
  auto guide = gen::build_model(
      diffusion_config(flow + "block_out_channels: [4], norm_groups: 4, attention_head_dim: 4"), data, torch::kCPU);
  gen::SampleRequest r;
  r.n = 4;
  r.seed = 3;
  const torch::Tensor alone = model->sample(r).images, guide_alone = guide->sample(r).images;
  REQUIRE(!torch::equal(alone, guide_alone));
  gen::SampleRequest one_step = r;  // one Euler step from the noise: x = noise - out, linear in out
  one_step.sampler.steps = 1;
  const torch::Tensor alone1 = model->sample(one_step).images, guide1 = guide->sample(one_step).images;
  model->set_guide(std::move(guide), "weak.pt (step 1)");
  r.sampler.guidance = 0.0;
  CHECK(torch::equal(model->sample(r).images, guide_alone));  // s = 0: the guide alone
  r.sampler.guidance = 2.0;
  const torch::Tensor guided = model->sample(r).images;
  CHECK(!torch::equal(guided, alone));
  CHECK(!torch::equal(guided, guide_alone));
  // So after one step the guided image is guide + 2 (model - guide) wherever none of the three
  // images was clamped to [-1, 1].
  one_step.sampler.guidance = 2.0;
  const torch::Tensor guided1 = model->sample(one_step).images;
  const torch::Tensor inside = (alone1.abs() < 1) & (guide1.abs() < 1) & (guided1.abs() < 1);
  REQUIRE(inside.sum().item<int64_t>() > 100);
  const torch::Tensor expected = guide1 + 2 * (alone1 - guide1);
  CHECK(torch::allclose(guided1.masked_select(inside), expected.masked_select(inside), 0, 1e-5));
  CHECK(model->sampler_settings(r.sampler) ==
        std::vector<std::pair<std::string, std::string>>{
            {"sampler", "euler"}, {"steps", "4"}, {"shift", "1"}, {"guidance", "2"}, {"guide", "weak.pt (step 1)"}});
  r.sampler.guidance = 1.0;
  CHECK_THROWS_WITH(model->sample(r), Catch::Contains("--guide weak.pt (step 1): has no effect at guidance 1"));

  // A guide must denoise the same thing: the same objective, timesteps, classes and images.
  const auto refusal = [&](const std::string& guide_model, const gen::DataSpec& guide_data) {
    auto m = gen::build_model(diffusion_config(flow + "block_out_channels: [8], norm_groups: 4"), data, torch::kCPU);
    try {
      m->set_guide(gen::build_model(diffusion_config(guide_model), guide_data, torch::kCPU), "g.pt");
    } catch (const gen::UsageError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const std::string small = "attention_levels: [], block_out_channels: [4], norm_groups: 4, attention_head_dim: 4, ";
  CHECK(refusal(small + "objective: eps", data) ==
        "--guide g.pt: its model.objective is eps, the model's flow");
  CHECK(refusal(small + "objective: flow, timesteps: 500", data) ==
        "--guide g.pt: its model.timesteps is 500, the model's 1000");
  CHECK(refusal(small + "objective: flow", gen::DataSpec::image(1, 16, 16)) ==
        "--guide g.pt: its image shape is 1x16x16, the model's 1x8x8");
  CHECK(refusal(small + "objective: flow, conditional: true", gen::DataSpec::image(1, 8, 8, 3)) ==
        "--guide g.pt: its class count (model.conditional) is 3, the model's 0");
  CHECK(refusal(small + "objective: flow", data) == "accepted");
}

TEST_CASE("diffusion: configs the U-Net cannot take are refused at build", "[model][diffusion]") {
  const gen::DataSpec mnist = gen::DataSpec::image(1, 28, 28, 10);
  auto build = [&](const std::string& model, const gen::DataSpec& data) {
    return gen::build_model(diffusion_config(model), data, torch::kCPU);
  };
  CHECK_THROWS_WITH(build("block_out_channels: [8, 8, 8, 8]", mnist), Catch::Contains("must divide by 8"));
  CHECK_THROWS_WITH(build("norm_groups: 5", mnist), Catch::Contains("model.norm_groups 5"));
  CHECK_THROWS_WITH(build("attention_levels: [3]", mnist), Catch::Contains("level 3 does not exist"));
  CHECK_THROWS_WITH(build("attention_head_dim: 24", mnist), Catch::Contains("model.attention_head_dim 24"));
  CHECK_THROWS_WITH(build("conditional: true", gen::DataSpec::image(1, 28, 28)),
                    Catch::Contains("labelled data"));
  CHECK_THROWS_WITH(build("guidance: 2", mnist), Catch::Contains("model.guidance"));
  CHECK_THROWS_WITH(build("conditional: true, guidance_interval: [0.5, 0.2]", mnist),
                    Catch::Contains("model.guidance_interval: expected [lo, hi]"));
  CHECK_THROWS_WITH(build("conditional: true, guidance_interval: [0.5]", mnist),
                    Catch::Contains("model.guidance_interval: expected [lo, hi]"));
  CHECK_THROWS_AS(build("conditional: true, guidance_interval: [0.5, 1.5]", mnist), gen::ConfigError);
  CHECK_THROWS_WITH(build("objective: flow, sampler: heun, eta: 0.5", mnist),
                    Catch::Contains("model.eta adds noise to the steps of ddim and euler; model.sampler is heun"));
  CHECK_NOTHROW(build("objective: flow, eta: 0.5", mnist));
  CHECK_THROWS_WITH(build("objective: flow, min_snr_gamma: 5", mnist), Catch::Contains("model.min_snr_gamma"));
  CHECK_NOTHROW(build("block_out_channels: [8, 16, 16], norm_groups: 4", mnist));
}
