#include <catch2/catch.hpp>

#include "data/batcher.h"

namespace {
gen::ImageDataset numbered_set(int64_t n) {
  gen::ImageDataset d;
  // Image i is filled with the value i, so a batch tells which examples it holds.
  d.images = torch::arange(n, torch::kInt64).to(torch::kUInt8).view({n, 1, 1, 1}).expand({n, 1, 4, 4}).contiguous();
  d.labels = torch::arange(n, torch::kInt64);
  d.num_classes = n;
  d.origin = "numbered";
  return d;
}

torch::Tensor ids(const gen::Batch& b) {  // back from [-1, 1] to the example index
  return b.x.select(2, 0).select(2, 0).squeeze(1).add(1).mul(127.5).round().to(torch::kInt64);
}
}  // namespace

TEST_CASE("batcher: shapes, range and label alignment", "[data]") {
  gen::Batcher b(numbered_set(100), 8, 0, torch::kCPU);
  CHECK(b.batches_per_epoch() == 12);
  const gen::Batch batch = b.batch_at(0);
  CHECK(batch.x.sizes() == torch::IntArrayRef({8, 1, 4, 4}));
  CHECK(batch.x.dtype() == torch::kFloat);
  CHECK(batch.x.min().item<float>() >= -1.0f);
  CHECK(batch.x.max().item<float>() <= 1.0f);
  CHECK(torch::equal(ids(batch), batch.y));
}

TEST_CASE("batcher: the full 0..255 range maps to exactly -1..1", "[data]") {
  gen::ImageDataset d;
  d.images = torch::tensor({0, 255}, torch::kUInt8).view({2, 1, 1, 1});
  gen::Batcher b(d, 2, 0, torch::kCPU);
  const torch::Tensor x = std::get<0>(b.batch_at(0).x.flatten().sort());
  CHECK(x[0].item<float>() == -1.0f);
  CHECK(x[1].item<float>() == Approx(1.0f));
}

TEST_CASE("batcher: an epoch visits each example at most once, and order depends on the seed only", "[data]") {
  gen::Batcher a(numbered_set(64), 16, 5, torch::kCPU);
  gen::Batcher same(numbered_set(64), 16, 5, torch::kCPU);
  gen::Batcher other(numbered_set(64), 16, 6, torch::kCPU);
  std::vector<torch::Tensor> epoch;
  for (int64_t s = 0; s < 4; ++s) epoch.push_back(ids(a.batch_at(s)));
  const torch::Tensor all = std::get<0>(torch::cat(epoch).sort());
  CHECK(torch::equal(all, torch::arange(64, torch::kInt64)));
  // Random access gives the same batch as sequential access (what resume relies on).
  CHECK(torch::equal(ids(same.batch_at(2)), epoch[2]));
  CHECK_FALSE(torch::equal(ids(other.batch_at(0)), epoch[0]));
  // The next epoch is a different permutation.
  CHECK_FALSE(torch::equal(ids(a.batch_at(4)), epoch[0]));
}

TEST_CASE("batcher: a batch larger than the data set is a DataError", "[data]") {
  CHECK_THROWS_WITH(gen::Batcher(numbered_set(10), 16, 0, torch::kCPU),
                    Catch::Contains("data.batch_size 16 is larger than the data set (10 examples)"));
}
