#include <catch2/catch.hpp>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "data/image_dataset.h"
#include "support/temp_dir.h"
#include "util/errors.h"

using gen::test::TempDir;

namespace {
void write_image(const std::string& path, int rows, int cols, const cv::Scalar& bgr) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  REQUIRE(cv::imwrite(path, cv::Mat(rows, cols, CV_8UC3, bgr)));
}
}  // namespace

TEST_CASE("image folder: sub-folders become sorted class labels, images are resized and center-cropped", "[data]") {
  TempDir dir;
  write_image(dir / "dog/a.png", 40, 20, cv::Scalar(255, 0, 0));  // blue, tall
  write_image(dir / "cat/b.jpg", 10, 30, cv::Scalar(0, 0, 255));  // red, wide
  write_image(dir / "cat/deep/c.PNG", 16, 16, cv::Scalar(0, 0, 255));
  gen::test::write_text(dir / "cat/broken.png", "not a png");
  gen::test::write_text(dir / "notes.txt", "ignored");
  const gen::ImageDataset d = gen::load_image_folder(dir.path(), 8, 3, /*strict=*/false);
  REQUIRE(d.images.sizes() == torch::IntArrayRef({3, 3, 8, 8}));
  CHECK(d.num_classes == 2);
  // Sorted paths: cat/b.jpg, cat/deep/c.PNG, dog/a.png; cat = 0, dog = 1.
  CHECK(d.labels.equal(torch::tensor({0, 0, 1}, torch::kInt64)));
  CHECK(d.images[0][0].min().item<int>() > 240);  // red image: channel 0 is R
  CHECK(d.images[2][2].min().item<int>() > 240);  // blue image: channel 2 is B
  CHECK_THAT(d.origin, Catch::Contains("1 skipped") && Catch::Contains("2 classes"));

  CHECK_THROWS_WITH(gen::load_image_folder(dir.path(), 8, 3, /*strict=*/true),
                    Catch::Contains("broken.png: cannot decode"));
  const gen::ImageDataset gray = gen::load_image_folder(dir.path(), 4, 1, false);
  CHECK(gray.images.sizes() == torch::IntArrayRef({3, 1, 4, 4}));
}

TEST_CASE("image folder: flat folders are unlabelled, empty or missing folders are DataErrors", "[data]") {
  TempDir dir;
  write_image(dir / "x.png", 8, 8, cv::Scalar(1, 2, 3));
  const gen::ImageDataset d = gen::load_image_folder(dir.path(), 8, 3, false);
  CHECK_FALSE(d.labels.defined());
  CHECK(d.num_classes == 0);
  std::filesystem::create_directories(dir / "empty");
  CHECK_THROWS_WITH(gen::load_image_folder(dir / "empty", 8, 3, false), Catch::Contains("no readable PNG or JPEG"));
  CHECK_THROWS_WITH(gen::load_image_folder(dir / "missing", 8, 3, false), Catch::Contains("not a folder"));
}

TEST_CASE("image folder: data.val_fraction holds out images by a hash of their path, stable as files come and go",
          "[data]") {
  TempDir dir;
  for (int i = 0; i < 200; ++i) {
    write_image(dir / ((i % 2 ? "odd/" : "even/") + std::to_string(i) + ".png"), 4, 4, cv::Scalar(i, 0, 0));
  }
  const gen::ImageDataset train = gen::load_image_folder(dir.path(), 4, 3, false, 0.25, gen::Split::kTrain);
  const gen::ImageDataset val = gen::load_image_folder(dir.path(), 4, 3, false, 0.25, gen::Split::kTest);
  CHECK(train.images.size(0) + val.images.size(0) == 200);
  CHECK((val.images.size(0) > 30 && val.images.size(0) < 70));  // about 25% of 200
  CHECK((train.num_classes == 2 && val.num_classes == 2));
  // Which images are held out depends on each path alone.
  int held = 0;
  for (int i = 0; i < 200; ++i) {
    held += gen::in_val_split((i % 2 ? "odd/" : "even/") + std::to_string(i) + ".png", 0.25);
  }
  CHECK(held == val.images.size(0));
  CHECK_FALSE(gen::in_val_split("even/0.png", 0.0));
  // New files elsewhere move nothing: the old held-out images are all still held out.
  for (int i = 200; i < 260; ++i) write_image(dir / ("new/" + std::to_string(i) + ".png"), 4, 4, cv::Scalar(i, 9, 9));
  const gen::ImageDataset val2 = gen::load_image_folder(dir.path(), 4, 3, false, 0.25, gen::Split::kTest);
  const torch::Tensor old_blue = val.images.select(1, 2).flatten(1).select(1, 0);  // B channel = i (mod 256)
  const torch::Tensor new_blue = val2.images.select(1, 2).flatten(1).select(1, 0);
  for (int64_t k = 0; k < old_blue.size(0); ++k) CHECK(new_blue.eq(old_blue[k]).any().item<bool>());
  // The class of an image does not depend on the split it is in: "even" is 0, "new" 1, "odd" 2 in both.
  CHECK(val2.num_classes == 3);
  CHECK_THROWS_WITH(gen::load_image_folder(dir.path(), 4, 3, false, 0.0, gen::Split::kTest),
                    Catch::Contains("no images in the held-out split (data.val_fraction 0 of 260 images)"));
}
