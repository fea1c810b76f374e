#include <catch2/catch.hpp>

#include "config/config.h"
#include "data/data_source.h"
#include "support/temp_dir.h"
#include "util/errors.h"

using gen::test::TempDir;

namespace {
gen::Config text_config(const TempDir& dir, const std::string& text, int64_t block, int64_t batch) {
  gen::test::write_text(dir / "t.txt", text);
  std::string yaml = "model: {kind: transformer}\ndata: {kind: text, file: t.txt, block_size: ";
  yaml.append(std::to_string(block)).append(", batch_size: ").append(std::to_string(batch)).append("}\n");
  gen::Config c = gen::parse_config(yaml, "test");
  c.data.root = dir.path();
  return c;
}
std::string alphabet(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += char('a' + i % 26);
  return s;
}
}  // namespace

TEST_CASE("text source: windows are (B, T) inputs with next-token targets", "[data]") {
  TempDir dir;
  gen::Config c = text_config(dir, alphabet(1000), 8, 5);
  auto src = gen::open_data_source(c, torch::kCPU);
  CHECK(src->spec().text.vocab_size == 26);
  CHECK(src->spec().text.block_size == 8);
  const gen::Batch b = src->batch_at(3);
  CHECK(b.x.sizes() == torch::IntArrayRef({5, 8}));
  CHECK(b.y.sizes() == torch::IntArrayRef({5, 8}));
  CHECK(torch::equal(b.x.narrow(1, 1, 7), b.y.narrow(1, 0, 7)));
  // In the alphabet every next token is (previous + 1) mod 26.
  CHECK(torch::equal(b.y, (b.x + 1).remainder(26)));
  CHECK(torch::equal(src->batch_at(3).x, b.x));  // a function of the step
  CHECK_FALSE(torch::equal(src->batch_at(4).x, b.x));
}

TEST_CASE("text source: the last val_fraction is held out, and full-split evaluation covers it", "[data]") {
  TempDir dir;
  // 900 'a'..'z' characters, then 100 digits: the validation tenth is all digits.
  std::string text = alphabet(900);
  for (int i = 0; i < 100; ++i) text += char('0' + i % 10);
  gen::Config c = text_config(dir, text, 9, 4);
  c.train.eval_batches = 0;
  auto src = gen::open_data_source(c, torch::kCPU);
  const int64_t digit_max = 9;  // ids 0..9 are the digits (sorted first)
  for (int64_t s = 0; s < 20; ++s) CHECK(src->batch_at(s).x.min().item<int64_t>() > digit_max);
  // 100 held-out tokens -> (100 - 1) / 9 = 11 windows -> batches of 4, 4 and 3.
  REQUIRE(src->eval_batch_count(gen::EvalSplit::kVal) == 3);
  int64_t windows = 0;
  for (int64_t i = 0; i < 3; ++i) {
    const gen::Batch b = src->eval_batch(gen::EvalSplit::kVal, i);
    CHECK(b.x.max().item<int64_t>() <= digit_max);
    windows += b.x.size(0);
  }
  CHECK(windows == 11);
}

TEST_CASE("text source: a text shorter than a window is a DataError", "[data]") {
  TempDir dir;
  gen::Config c = text_config(dir, "abc", 8, 2);
  CHECK_THROWS_WITH(gen::open_data_source(c, torch::kCPU), Catch::Contains("t.txt") && Catch::Contains("block_size"));
  c.data.options["file"] = "missing.txt";
  CHECK_THROWS_AS(gen::open_data_source(c, torch::kCPU), gen::DataError);
}
