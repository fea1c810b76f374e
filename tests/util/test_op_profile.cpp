#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <chrono>

#include "util/op_profile.h"

namespace {
const gen::OpTime* find(const gen::OpTimes& times, const std::string& name, gen::OpPhase phase) {
  for (const auto& op : times.ops) {
    if (op.name == name && op.phase == phase) return &op;
  }
  return nullptr;
}
}  // namespace

TEST_CASE("op profile: ops by phase, callees' time taken out of their callers, self times adding up", "[util]") {
  torch::nn::Linear fc(256, 128);
  const torch::Tensor x = torch::randn({64, 256});
  const auto t0 = std::chrono::steady_clock::now();
  gen::OpTimes times;
  {
    gen::OpProfile profile;
    for (int i = 0; i < 3; ++i) fc->forward(x).square().sum().backward();
    {
      torch::NoGradGuard no_grad;
      fc->weight.mul_(0.5);  // as an optimizer's update runs
    }
    times = profile.times();
  }
  const double wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::string rows;
  for (const auto& op : times.ops) {
    rows += op.name + " " + gen::op_phase_name(op.phase) + " " + std::to_string(op.calls) + "\n";
  }
  INFO(rows);

  using gen::OpPhase;
  const gen::OpTime* addmm = find(times, "aten::addmm", OpPhase::kForward);
  const gen::OpTime* square = find(times, "aten::square", OpPhase::kForward);
  const gen::OpTime* pow = find(times, "aten::pow", OpPhase::kForward);
  REQUIRE(addmm != nullptr);
  REQUIRE(square != nullptr);
  REQUIRE(pow != nullptr);
  CHECK(addmm->calls == 3);
  CHECK(square->calls == 3);
  // aten::square runs as aten::pow: the power's time is the pow's, not the square's.
  CHECK(square->total_ms >= pow->total_ms);
  CHECK(square->self_ms <= square->total_ms - pow->total_ms + 1e-9);
  // The weight's gradient is a matrix product inside the backward pass (x needs none).
  const gen::OpTime* mm_back = find(times, "aten::mm", OpPhase::kBackward);
  REQUIRE(mm_back != nullptr);
  CHECK(mm_back->calls >= 3);
  CHECK(find(times, "aten::mm", OpPhase::kForward) == nullptr);
  // The engine's record around each node is backward work too.
  CHECK(find(times, "autograd::engine::evaluate_function: AddmmBackward0", OpPhase::kBackward) != nullptr);
  const gen::OpTime* update = find(times, "aten::mul_", OpPhase::kNoGrad);
  REQUIRE(update != nullptr);
  CHECK(update->calls == 1);

  double self_sum = 0;
  for (const auto& op : times.ops) {
    CHECK(op.self_ms >= 0);
    CHECK(op.self_ms <= op.total_ms + 1e-9);
    self_sum += op.self_ms;
  }
  CHECK(self_sum == Approx(times.inside_ms).epsilon(1e-9));
  CHECK(times.inside_ms <= wall_ms);
  CHECK(times.self_ms(OpPhase::kForward) + times.self_ms(OpPhase::kBackward) + times.self_ms(OpPhase::kNoGrad) ==
        Approx(self_sum).epsilon(1e-9));
  for (size_t i = 1; i < times.ops.size(); ++i) CHECK(times.ops[i - 1].self_ms >= times.ops[i].self_ms);
}

TEST_CASE("op profile: a finished profile leaves no observer behind", "[util]") {
  REQUIRE_FALSE(at::hasThreadLocalCallbacks());
  {
    gen::OpProfile profile;
    CHECK(at::hasThreadLocalCallbacks());
  }
  CHECK_FALSE(at::hasThreadLocalCallbacks());
}
