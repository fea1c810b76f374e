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
