#include <catch2/catch.hpp>

#include <sstream>

#include "optim/multi_tensor_adam.h"

namespace {

// Parameters of a few shapes, a weight decay per tensor (matrices decay, vectors not).
struct Net {
  std::vector<torch::Tensor> params;
  std::vector<double> decay;
  explicit Net(uint64_t seed) {
    torch::manual_seed(seed);
    for (auto shape : std::vector<std::vector<int64_t>>{{8, 5}, {8}, {3, 4, 2, 2}, {3}}) {
      params.push_back(torch::randn(shape).requires_grad_(true));
      decay.push_back(shape.size() >= 2 ? 0.1 : 0.0);
    }
  }
  Net clone() const {
    Net n(0);
    for (size_t i = 0; i < params.size(); ++i) n.params[i] = params[i].detach().clone().requires_grad_(true);
    return n;
  }
  std::vector<size_t> where(bool decays) const {
    std::vector<size_t> at;
    for (size_t i = 0; i < decay.size(); ++i)
      if ((decay[i] != 0) == decays) at.push_back(i);
    return at;
  }
  std::vector<torch::Tensor> pick(const std::vector<size_t>& at) const {
    std::vector<torch::Tensor> ps;
    for (size_t i : at) ps.push_back(params[i]);
    return ps;
  }
};

// The same gradient for step `k` in every copy of a net.
void set_grads(Net& net, int k) {
  torch::manual_seed(1000 + k);
  for (auto& p : net.params) p.mutable_grad() = torch::randn_like(p) * (k % 3 + 1);
}

// torch::optim's Adam or AdamW over the same two groups NetOptimizer used to build.
std::unique_ptr<torch::optim::Optimizer> reference(Net& net, bool adamw, double lr) {
  std::vector<torch::optim::OptimizerParamGroup> groups;
  auto options = [&](double wd) -> std::unique_ptr<torch::optim::OptimizerOptions> {
    if (adamw) return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(lr).weight_decay(wd));
    return std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(lr).weight_decay(wd));
  };
  groups.emplace_back(net.pick(net.where(true)), options(0.1));
  groups.emplace_back(net.pick(net.where(false)), options(0.0));
  if (adamw) return std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(lr));
  return std::make_unique<torch::optim::Adam>(groups, torch::optim::AdamOptions(lr));
}

void set_reference_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& g : opt.param_groups()) g.options().set_lr(lr);
}

void require_equal(const Net& a, const Net& b) {
  for (size_t i = 0; i < a.params.size(); ++i) {
    INFO("parameter " << i << ": max difference "
                      << (a.params[i] - b.params[i]).abs().max().item<double>());
    REQUIRE(torch::equal(a.params[i], b.params[i]));
  }
}

// What `write` puts into an archive, saved to bytes and read back, as a checkpoint would.
template <class Write>
torch::serialize::InputArchive through_bytes(Write write) {
  torch::serialize::OutputArchive out;
  write(out);
  std::ostringstream bytes;
  out.save_to(bytes);
  torch::serialize::InputArchive in;
  std::istringstream read(bytes.str());
  in.load_from(read);
  return in;
}

gen::AdamSettings settings(bool adamw) {
  gen::AdamSettings s;
  s.decoupled_decay = adamw;
  return s;
}

gen::AdamSettings fused_settings(bool adamw) {
  gen::AdamSettings s = settings(adamw);
  s.fused = true;
  return s;
}

// Five updates of a net by an optimizer with `first`; then a copy of the weights goes on with a
// second optimizer with `then`, which loads the first one's saved state (or starts fresh when
// `load` is false), and both take the same five more updates. Returns the two nets.
std::pair<Net, Net> continued(uint64_t seed, const gen::AdamSettings& first, const gen::AdamSettings& then,
                              bool load = true) {
  Net a(seed);
  gen::MultiTensorAdam opt_a(a.params, a.decay, first);
  opt_a.set_lr(3e-3);
  for (int k = 0; k < 5; ++k) set_grads(a, k), opt_a.step();
  Net b = a.clone();
  gen::MultiTensorAdam opt_b(b.params, b.decay, then);
  opt_b.set_lr(3e-3);
  if (load) {
    torch::serialize::InputArchive in = through_bytes([&](auto& out) { opt_a.save(out); });
    opt_b.load(in);
  }
  for (int k = 5; k < 10; ++k) {
    set_grads(a, k), opt_a.step();
    set_grads(b, k), opt_b.step();
  }
  return {std::move(a), std::move(b)};
}

}  // namespace

TEST_CASE("multi-tensor Adam and AdamW: bit for bit torch::optim's updates over 20 steps with a changing lr",
          "[train]") {
  for (const bool adamw : {false, true}) {
    INFO((adamw ? "AdamW" : "Adam"));
    Net ours(7), theirs = ours.clone();
    gen::MultiTensorAdam opt(ours.params, ours.decay, settings(adamw));
    auto ref = reference(theirs, adamw, 1e-2);
    for (int k = 0; k < 20; ++k) {
      const double lr = 1e-2 * (1.0 - 0.04 * k);
      opt.set_lr(lr);
      set_reference_lr(*ref, lr);
      set_grads(ours, k);
      set_grads(theirs, k);
      opt.step();
      ref->step();
    }
    require_equal(ours, theirs);
    CHECK(opt.steps(0) == 20);
  }
}

TEST_CASE("multi-tensor Adam: a parameter without a gradient is left alone and keeps its step count", "[train]") {
  Net net(3);
  gen::MultiTensorAdam opt(net.params, net.decay, settings(true));
  set_grads(net, 0);
  net.params[1].mutable_grad().reset();
  const torch::Tensor before = net.params[1].detach().clone();
  opt.step();
  CHECK(torch::equal(net.params[1], before));
  CHECK(opt.steps(1) == 0);
  CHECK(opt.steps(0) == 1);
}

TEST_CASE("multi-tensor Adam: a gradient factor is the same step as gradients multiplied by it first", "[train]") {
  Net scaled(9), multiplied = scaled.clone();
  gen::MultiTensorAdam a(scaled.params, scaled.decay, settings(true));
  gen::MultiTensorAdam b(multiplied.params, multiplied.decay, settings(true));
  for (int k = 0; k < 3; ++k) {
    const torch::Tensor factor = torch::tensor(0.3f * float(k + 1));
    set_grads(scaled, k), set_grads(multiplied, k);
    for (auto& p : multiplied.params) p.mutable_grad().mul_(factor);
    a.step(factor), b.step();
  }
  require_equal(scaled, multiplied);
}

TEST_CASE("multi-tensor Adam and fused AdamW: a gradient factor of exactly 1 leaves the gradients' bits unwritten",
          "[train]") {
  const bool fused = GENERATE(false, true);
  CAPTURE(fused);
  if (fused && !gen::fused_adam_available(torch::kCPU)) {
    WARN("this LibTorch has no CPU fused Adam kernel (2.4 or later has)");
    return;
  }
  Net net(4);
  gen::MultiTensorAdam opt(net.params, net.decay, fused ? fused_settings(true) : settings(true));
  set_grads(net, 0);
  // A signaling NaN: any multiply or divide, by 1 included, returns it quieted (another bit
  // pattern), so its bits show whether a pass over the gradients ran.
  const int32_t signaling_nan = 0x7f800001;
  auto first_bits = [&] { return net.params[0].grad().view(torch::kInt32).view(-1)[0].item<int32_t>(); };
  net.params[0].mutable_grad().view(torch::kInt32).view(-1)[0] = signaling_nan;
  const torch::Tensor before = net.params[0].grad().clone();
  opt.step(torch::tensor(1.0f));
  CHECK(first_bits() == signaling_nan);
  CHECK(torch::equal(net.params[0].grad().view(torch::kInt32), before.view(torch::kInt32)));
  opt.step(torch::tensor(0.5f));  // a factor other than 1 makes the pass, which the check sees
  CHECK(first_bits() != signaling_nan);
}

TEST_CASE("multi-tensor Adam: zero_grad drops the gradients, and the next backward pass stores its own", "[train]") {
  Net net(4);
  gen::MultiTensorAdam opt(net.params, net.decay, settings(true));
  set_grads(net, 0);
  opt.zero_grad();
  for (const auto& p : net.params) CHECK_FALSE(p.grad().defined());
  (net.params[0] * 3).sum().backward();
  CHECK(torch::equal(net.params[0].grad(), torch::full_like(net.params[0], 3)));
  CHECK_FALSE(net.params[1].grad().defined());  // not in that loss: no gradient, no update
}

TEST_CASE("multi-tensor Adam: saved state continues exactly where the original goes on", "[train]") {
  const auto [a, b] = continued(11, settings(true), settings(true));
  require_equal(a, b);
  // Without the state (a fresh optimizer), the same steps land elsewhere: the state matters.
  const auto [c, fresh] = continued(11, settings(true), settings(true), /*load=*/false);
  CHECK_FALSE(torch::equal(c.params[0], fresh.params[0]));
}

TEST_CASE("multi-tensor Adam: torch::optim's saved state (checkpoints before it) loads and continues identically",
          "[train]") {
  for (const bool adamw : {false, true}) {
    INFO((adamw ? "AdamW" : "Adam"));
    Net theirs(5);
    auto ref = reference(theirs, adamw, 2e-3);
    for (int k = 0; k < 6; ++k) set_grads(theirs, k), ref->step();
    Net ours = theirs.clone();
    gen::MultiTensorAdam opt(ours.params, ours.decay, settings(adamw));
    opt.set_lr(2e-3);
    torch::serialize::InputArchive in = through_bytes([&](auto& out) { ref->save(out); });
    opt.load_torch_optim(in, {theirs.where(true), theirs.where(false)});
    CHECK(opt.steps(2) == 6);
    for (int k = 6; k < 12; ++k) {
      set_grads(theirs, k), ref->step();
      set_grads(ours, k), opt.step();
    }
    require_equal(ours, theirs);
  }
}

TEST_CASE("fused Adam and AdamW: within rounding of the foreach updates over 20 steps with a changing lr",
          "[train]") {
  if (!gen::fused_adam_available(torch::kCPU)) {
    WARN("this LibTorch has no CPU fused Adam kernel (2.4 or later has)");
    return;
  }
  for (const bool adamw : {false, true}) {
    INFO((adamw ? "AdamW" : "Adam"));
    // Every other step with a gradient factor (clipping's), a different one each time.
    Net fused(7), foreach = fused.clone(), start = fused.clone(), unscaled = fused.clone();
    gen::MultiTensorAdam a(fused.params, fused.decay, fused_settings(adamw));
    gen::MultiTensorAdam b(foreach.params, foreach.decay, settings(adamw));
    gen::MultiTensorAdam c(unscaled.params, unscaled.decay, fused_settings(adamw));
    for (int k = 0; k < 20; ++k) {
      const double lr = 1e-2 * (1.0 - 0.04 * k);
      a.set_lr(lr), b.set_lr(lr), c.set_lr(lr);
      set_grads(fused, k), set_grads(foreach, k), set_grads(unscaled, k);
      const torch::Tensor factor = k % 2 ? torch::tensor(0.7f / float(k)) : torch::Tensor();
      a.step(factor), b.step(factor), c.step();
      if (factor.defined()) {  // the factor stays in the gradients, as clipping leaves them
        CHECK(torch::allclose(fused.params[0].grad(), foreach.params[0].grad(), 1e-6, 1e-7));
        CHECK(torch::allclose(fused.params[0].grad(), unscaled.params[0].grad() * factor, 1e-6, 1e-7));
      }
    }
    for (size_t i = 0; i < fused.params.size(); ++i) {
      INFO("parameter " << i);
      // Both moved by about 20 lr-sized steps, and agree to a few float ulps of that.
      CHECK((fused.params[i] - start.params[i]).abs().max().item<double>() > 1e-2);
      CHECK(torch::allclose(fused.params[i], foreach.params[i], /*rtol=*/1e-5, /*atol=*/1e-6));
      // Without the factors the moments differ, and so do the weights.
      CHECK((fused.params[i] - unscaled.params[i]).abs().max().item<double>() > 1e-4);
    }
    CHECK(a.steps(0) == 20);
  }
}

TEST_CASE("fused AdamW: a tensor that skipped a step counts its own steps (bias corrections of its own count)",
          "[train]") {
  if (!gen::fused_adam_available(torch::kCPU)) {
    WARN("this LibTorch has no CPU fused Adam kernel (2.4 or later has)");
    return;
  }
  // params[1] gets no gradient in the first step, then steps with the others: its updates must
  // be those of an optimizer that holds it alone and steps it three times.
  Net net(8), alone = net.clone();
  gen::MultiTensorAdam opt(net.params, net.decay, fused_settings(true));
  gen::MultiTensorAdam single({alone.params[1]}, {alone.decay[1]}, fused_settings(true));
  for (int k = 0; k < 4; ++k) {
    set_grads(net, k), set_grads(alone, k);
    if (k == 0) net.params[1].mutable_grad().reset();
    opt.step();
    if (k > 0) single.step();
  }
  CHECK(opt.steps(0) == 4);
  CHECK(opt.steps(1) == 3);
  CHECK(torch::equal(net.params[1], alone.params[1]));
}

TEST_CASE("fused AdamW: a gradient factor too small to invert in float still multiplies the gradients", "[train]") {
  if (!gen::fused_adam_available(torch::kCPU)) {
    WARN("this LibTorch has no CPU fused Adam kernel (2.4 or later has)");
    return;
  }
  Net net(6), reference = net.clone();
  gen::MultiTensorAdam opt(net.params, net.decay, fused_settings(true));
  set_grads(net, 0), set_grads(reference, 0);
  const torch::Tensor factor = torch::tensor(1e-39f);  // subnormal: its reciprocal is inf
  opt.step(factor);
  CHECK(torch::equal(net.params[0].grad(), reference.params[0].grad() * factor));
}

TEST_CASE("fused AdamW: saved state continues exactly, and a foreach checkpoint continues under fused", "[train]") {
  if (!gen::fused_adam_available(torch::kCPU)) {
    WARN("this LibTorch has no CPU fused Adam kernel (2.4 or later has)");
    return;
  }
  const auto [a, b] = continued(11, fused_settings(true), fused_settings(true));
  require_equal(a, b);  // the step counts came back too: bias corrections of step 6, not 1

  // The state is the same for both kernels: a foreach run's checkpoint continues under fused.
  const auto [c, d] = continued(13, settings(true), fused_settings(true));
  for (size_t i = 0; i < c.params.size(); ++i) {
    CHECK(torch::allclose(c.params[i], d.params[i], 1e-5, 1e-6));
  }
}
