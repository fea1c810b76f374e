#include <catch2/catch.hpp>

#include <cmath>

#include "io/metrics_log.h"
#include "support/temp_dir.h"

TEST_CASE("metrics: one JSON object per line, non-finite values as null", "[io]") {
  CHECK(gen::metrics_json(5, {{"loss", 0.5}, {"bad", std::nan("")}}) == "{\"step\":5,\"loss\":0.5,\"bad\":null}");
}

TEST_CASE("metrics: resuming drops lines written after the checkpoint", "[io]") {
  gen::test::TempDir dir;
  {
    gen::MetricsLog log(dir / "m.jsonl", 0);
    for (int s = 2; s <= 8; s += 2) log.write(s, {{"x", double(s)}});
  }
  {
    gen::MetricsLog log(dir / "m.jsonl", 4);  // the run died after step 8 but saved at 4
    log.write(6, {{"x", 60}});
  }
  CHECK(gen::test::read_text(dir / "m.jsonl") == "{\"step\":2,\"x\":2}\n{\"step\":4,\"x\":4}\n{\"step\":6,\"x\":60}\n");
}
