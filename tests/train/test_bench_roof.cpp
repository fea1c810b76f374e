#include <catch2/catch.hpp>

#include "train/bench.h"

TEST_CASE("bench: the roof kept is the better of before and after the steps, naming both when far apart",
          "[train]") {
  const gen::Roof low{110e9, "sgemm 1024^3 on 2 thread(s)"}, high{215e9, "sgemm 1024^3 on 2 thread(s)"};
  for (const auto& [before, after] : {std::pair{low, high}, std::pair{high, low}}) {
    const gen::Roof kept = gen::kept_roof(before, after);
    CHECK(kept.flops == 215e9);
    CHECK_THAT(kept.text, Catch::StartsWith("sgemm 1024^3 on 2 thread(s); the better of"));
    const char* both = before.flops == low.flops ? "110 GFLOP/s before the steps and 215 GFLOP/s after"
                                                 : "215 GFLOP/s before the steps and 110 GFLOP/s after";
    CHECK_THAT(kept.text, Catch::Contains(both));
  }
  // Within 20% of each other: the better one, its text alone.
  const gen::Roof close{190e9, "sgemm 1024^3 on 2 thread(s)"};
  const gen::Roof kept = gen::kept_roof(high, close);
  CHECK(kept.flops == 215e9);
  CHECK(kept.text == "sgemm 1024^3 on 2 thread(s)");
}
