#include <catch2/catch.hpp>

#include "config/config.h"
#include "data/image_dataset.h"
#include "support/idx_writer.h"
#include "support/temp_dir.h"
#include "util/errors.h"

using gen::test::TempDir;

TEST_CASE("image dataset: MNIST layout loads images, labels and resizes once", "[data]") {
  TempDir dir;
  gen::test::write_tiny_mnist(dir.path(), 30, 12);
  gen::DataConfig cfg;
  cfg.root = dir.path();
  gen::ImageDataset d = gen::load_image_dataset(cfg);
  CHECK(d.images.sizes() == torch::IntArrayRef({30, 1, 12, 12}));
  CHECK(d.images.dtype() == torch::kUInt8);
  CHECK(d.labels.sizes() == torch::IntArrayRef({30}));
  CHECK(d.num_classes == 10);
  CHECK(d.labels[13].item<int64_t>() == 3);

  cfg.image_size = 16;
  cfg.split = gen::Split::kTest;
  d = gen::load_image_dataset(cfg);
  CHECK(d.images.sizes() == torch::IntArrayRef({30, 1, 16, 16}));
  CHECK(d.images.max().item<int>() == 255);  // the bars survive resizing
}

TEST_CASE("image dataset: missing files and mismatched labels are DataErrors naming the file", "[data]") {
  TempDir dir;
  gen::DataConfig cfg;
  cfg.root = dir.path();
  CHECK_THROWS_WITH(gen::load_image_dataset(cfg), Catch::Contains("train-images-idx3-ubyte.gz: file not found"));

  gen::test::write_bytes(dir / "img", gen::test::idx_bytes({3, 2, 2}, std::vector<uint8_t>(12, 1)), false);
  gen::test::write_bytes(dir / "lab", gen::test::idx_bytes({4}, {0, 1, 2, 3}), false);
  cfg.kind = gen::DataKind::kIdx;
  cfg.options["images"] = "img";
  cfg.options["labels"] = "lab";
  CHECK_THROWS_WITH(gen::load_image_dataset(cfg), Catch::Contains("lab: expected 3 labels"));
}

TEST_CASE("image dataset: resize_images keeps count and channels", "[data]") {
  const torch::Tensor imgs = torch::randint(0, 256, {4, 3, 10, 14}, torch::kInt64).to(torch::kUInt8);
  const torch::Tensor out = gen::resize_images(imgs, 8);
  CHECK(out.sizes() == torch::IntArrayRef({4, 3, 8, 8}));
  // A constant image stays constant.
  const torch::Tensor flat = torch::full({1, 1, 28, 28}, 77, torch::kUInt8);
  CHECK(gen::resize_images(flat, 32).eq(77).all().item<bool>());
}
