#include <catch2/catch.hpp>

#include "config/config.h"
#include "train/lr_schedule.h"

TEST_CASE("lr schedule: linear warm-up, then constant", "[train]") {
  gen::OptimConfig o;
  o.lr = 1.0;
  o.warmup_steps = 4;
  CHECK(gen::lr_at(o, 100, 0) == Approx(0.2));
  CHECK(gen::lr_at(o, 100, 3) == Approx(0.8));
  CHECK(gen::lr_at(o, 100, 4) == Approx(1.0));
  CHECK(gen::lr_at(o, 100, 99) == Approx(1.0));
}

TEST_CASE("lr schedule: cosine from lr after warm-up to min_lr at the last step, never increasing", "[train]") {
  gen::OptimConfig o;
  o.lr = 1e-3;
  o.min_lr = 1e-4;
  o.schedule = gen::Schedule::kCosine;
  o.warmup_steps = 10;
  CHECK(gen::lr_at(o, 111, 10) == Approx(1e-3));
  CHECK(gen::lr_at(o, 111, 60) == Approx(5.5e-4));  // half way through steps 10..110
  CHECK(gen::lr_at(o, 111, 110) == Approx(1e-4));
  CHECK(gen::lr_at(o, 111, 500) == Approx(1e-4));  // resumed past the end
  for (int64_t s = 11; s < 111; ++s) CHECK(gen::lr_at(o, 111, s) <= gen::lr_at(o, 111, s - 1));
}
