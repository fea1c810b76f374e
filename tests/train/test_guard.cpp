#include <catch2/catch.hpp>

#include <cmath>

#include "train/guard.h"
#include "train/metric_window.h"

namespace {
torch::Tensor flag(bool skipped) { return torch::tensor(skipped ? 1.0f : 0.0f); }

gen::Guard guard_of(int64_t max_bad_steps) {
  gen::GuardConfig config;
  config.max_bad_steps = max_bad_steps;
  return gen::Guard(config, 1.0);
}
}  // namespace

TEST_CASE("guard: counts skipped steps on the device and finds a bad run when read, across readings", "[train]") {
  gen::Guard guard = guard_of(3);
  for (bool s : {true, true, false, true, true}) guard.record(flag(s));
  CHECK_FALSE(guard.read());  // runs of 2 and 2 so far
  CHECK(guard.take_skipped() == 4);
  CHECK(guard.take_skipped() == 0);
  guard.record(flag(true));  // the run of 2 goes on to 3 after the reading
  CHECK(guard.read());

  gen::Guard ended = guard_of(3);
  for (bool s : {true, true, true, false, false}) ended.record(flag(s));
  CHECK(ended.read());  // the run is over by now, but it happened
  CHECK_FALSE(ended.read());

  gen::Guard reset = guard_of(2);
  reset.record(flag(true));
  reset.record(torch::Tensor());  // a step that skipped nothing ends the run
  reset.record(flag(true));
  CHECK_FALSE(reset.read());

  gen::Guard never = guard_of(0);  // 0: never roll back
  for (int i = 0; i < 5; ++i) never.record(flag(true));
  CHECK_FALSE(never.read());
  CHECK(never.take_skipped() == 5);
}

TEST_CASE("metric window: a skipped step's figures (NaN) do not count, and a metric no counted step had is left out",
          "[train]") {
  gen::MetricWindow window;
  auto step = [&](double loss, bool skipped, bool r1) {
    gen::StepResult r;
    r.add("loss", torch::tensor(loss));
    if (r1) r.add("r1", torch::tensor(loss * 10));
    r.skipped = flag(skipped);
    window.add(r);
    window.count_step();
  };
  step(1.0, false, false);
  step(std::nan(""), true, true);
  step(3.0, false, false);
  const auto summary = window.close();
  REQUIRE(summary.means.size() == 1);
  CHECK(summary.means[0].name == "loss");
  CHECK(summary.means[0].value == Approx(2.0));
  CHECK(summary.steps == 3);
}
