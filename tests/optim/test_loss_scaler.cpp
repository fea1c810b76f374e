#include <catch2/catch.hpp>

#include "optim/loss_scaler.h"
#include "util/autocast.h"
#include "util/errors.h"

namespace {
torch::Tensor yes() { return torch::tensor(true); }
torch::Tensor no() { return torch::tensor(false); }
}  // namespace

TEST_CASE("loss scaler: halves on overflow, doubles after a clean streak, blames the gradients only at scale 1",
          "[optim]") {
  gen::LossScaler s(true, torch::kCPU, {8.0, 2.0, 0.5, 3});
  CHECK(s.scale(torch::tensor(1.5f)).item<float>() == 12.0f);
  CHECK(s.current().item<float>() == 8.0f);

  CHECK(s.update(yes()).item<float>() == 0.0f);  // the scale's fault: 8 -> 4
  CHECK(s.current().item<float>() == 4.0f);
  for (int i = 0; i < 2; ++i) CHECK(s.update(no()).item<float>() == 0.0f);
  CHECK(s.current().item<float>() == 4.0f);  // 2 clean steps of 3
  s.update(no());
  CHECK(s.current().item<float>() == 8.0f);  // the third: doubled, streak restarts
  s.update(no());
  s.update(no());
  CHECK(s.current().item<float>() == 8.0f);

  for (float expect : {4.0f, 2.0f, 1.0f}) {
    s.update(yes());
    CHECK(s.current().item<float>() == expect);
  }
  CHECK(s.update(yes()).item<float>() == 1.0f);  // at scale 1 an overflow is the gradients' own
  CHECK(s.current().item<float>() == 0.5f);

  torch::serialize::OutputArchive out;
  s.save(out);
  std::ostringstream bytes;
  out.save_to(bytes);
  gen::LossScaler t(true, torch::kCPU);
  torch::serialize::InputArchive in;
  std::istringstream read(bytes.str());
  in.load_from(read);
  t.load(in);
  CHECK(t.current().item<float>() == 0.5f);
}

TEST_CASE("loss scaler: disabled, every call is the identity", "[optim]") {
  gen::LossScaler s(false, torch::kCPU);
  const torch::Tensor loss = torch::tensor(3.0f);
  CHECK(s.scale(loss).data_ptr() == loss.data_ptr());
  CHECK(s.update(yes()).item<float>() == 1.0f);  // every non-finite step is the guard's business
  CHECK(s.current().item<float>() == 1.0f);
}

TEST_CASE("autocast: a scope casts matrix products to bfloat16 on the CPU, and nothing outside it", "[optim]") {
  const torch::Tensor a = torch::randn({4, 4}), b = torch::randn({4, 4});
  {
    const gen::AutocastScope outer(gen::Precision::kBf16, torch::kCPU);
    CHECK(torch::mm(a, b).scalar_type() == torch::kBFloat16);
    {
      const gen::AutocastScope inner(gen::Precision::kBf16, torch::kCPU);
      CHECK(torch::mm(a, b).scalar_type() == torch::kBFloat16);
    }
    CHECK(torch::mm(a, b).scalar_type() == torch::kBFloat16);  // the inner scope left the outer one on
    const gen::AutocastScope none(gen::Precision::kFp32, torch::kCPU);
    CHECK(torch::mm(a, b).scalar_type() == torch::kBFloat16);  // fp32 changes nothing
  }
  CHECK(torch::mm(a, b).scalar_type() == torch::kFloat);
  CHECK(gen::resolve_precision(gen::Precision::kAuto, true, torch::kCPU) == gen::Precision::kFp32);
  CHECK(gen::resolve_precision(gen::Precision::kTf32, true, torch::kCPU) == gen::Precision::kFp32);
  CHECK(gen::resolve_precision(gen::Precision::kBf16, true, torch::kCPU) == gen::Precision::kBf16);
  CHECK_THROWS_AS(gen::resolve_precision(gen::Precision::kFp16, true, torch::kCPU), gen::ConfigError);
}

TEST_CASE("autocast: a weight updated in place between two scopes is cast afresh (the cache is cleared)", "[optim]") {
  // Autocast caches the bfloat16 copy of a leaf that requires grad (a weight) while a scope is
  // open; an optimizer updates the weight in place between steps, so a cache kept past the
  // scope would hand the next step the old weights.
  const torch::Tensor w = torch::ones({4, 4}).requires_grad_(true), x = torch::ones({4, 4});
  torch::Tensor first, second;
  {
    const gen::AutocastScope step(gen::Precision::kBf16, torch::kCPU);
    first = torch::mm(w, x).detach();
  }
  {
    torch::NoGradGuard no_grad;
    w.add_(1.0);  // the update
  }
  {
    const gen::AutocastScope step(gen::Precision::kBf16, torch::kCPU);
    second = torch::mm(w, x).detach();
  }
  CHECK(first.to(torch::kFloat).eq(4.0).all().item<bool>());
  CHECK(second.to(torch::kFloat).eq(8.0).all().item<bool>());
}
