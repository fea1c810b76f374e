#include <catch2/catch.hpp>

#include "config/nearest.h"

TEST_CASE("nearest_word suggests close keys and nothing for unrelated words", "[config]") {
  const std::vector<std::string> keys = {"steps", "log_every", "sample_every", "ckpt_every"};
  CHECK(gen::nearest_word("stpes", keys) == "steps");
  CHECK(gen::nearest_word("sample_evry", keys) == "sample_every");
  CHECK(gen::nearest_word("zzzzzzzzzzzz", keys).empty());
}
