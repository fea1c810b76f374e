#include <catch2/catch.hpp>

#include <opencv2/imgcodecs.hpp>

#include "io/image_grid.h"
#include "support/temp_dir.h"
#include "util/errors.h"

TEST_CASE("grid: layout, padding and size follow nrow", "[io]") {
  const torch::Tensor images = torch::zeros({10, 1, 28, 28});
  gen::GridLayout layout;
  layout.nrow = 4;
  const cv::Mat g = gen::make_grid(images, layout);
  CHECK(g.cols == 4 * (28 + 2) + 2);
  CHECK(g.rows == 3 * (28 + 2) + 2);
  CHECK(g.type() == CV_8UC1);
  // Default: a square grid.
  const cv::Mat sq = gen::make_grid(torch::zeros({64, 1, 8, 8}));
  CHECK(sq.cols == 8 * 10 + 2);
  CHECK(sq.rows == 8 * 10 + 2);
}

TEST_CASE("grid: [-1, 1] maps to [0, 255], padding stays the pad value, tiles land in order", "[io]") {
  torch::Tensor images = torch::full({3, 1, 2, 2}, -1.0);
  images[1].fill_(1.0);
  images[2].fill_(0.0);
  gen::GridLayout layout;
  layout.nrow = 3;
  layout.padding = 1;
  layout.pad_value = 7;
  const cv::Mat g = gen::make_grid(images, layout);
  REQUIRE(g.cols == 3 * 3 + 1);
  CHECK(g.at<uint8_t>(0, 0) == 7);    // padding
  CHECK(g.at<uint8_t>(1, 1) == 0);    // image 0: -1
  CHECK(g.at<uint8_t>(1, 4) == 255);  // image 1: +1
  CHECK(g.at<uint8_t>(2, 8) == 128);  // image 2: 0 -> 127.5 rounds to 128
  CHECK(g.at<uint8_t>(1, 3) == 7);    // padding between tiles
}

TEST_CASE("grid: RGB input becomes BGR for OpenCV, out-of-range values clamp", "[io]") {
  torch::Tensor rgb = torch::full({1, 3, 2, 2}, -1.0);
  rgb[0][0].fill_(5.0);  // red, beyond the range
  const cv::Mat g = gen::make_grid(rgb, gen::GridLayout{1, 0, 0, {}});
  REQUIRE(g.type() == CV_8UC3);
  const cv::Vec3b px = g.at<cv::Vec3b>(0, 0);
  CHECK(px[2] == 255);  // R in BGR's last slot
  CHECK(px[0] == 0);
}

TEST_CASE("grid: write_png round-trips through OpenCV", "[io]") {
  gen::test::TempDir dir;
  const cv::Mat g = gen::make_grid(torch::rand({6, 1, 5, 5}) * 2 - 1, gen::GridLayout{3, 2, 0, {}});
  gen::write_png(dir / "g.png", g);
  const cv::Mat back = cv::imread(dir / "g.png", cv::IMREAD_UNCHANGED);
  REQUIRE_FALSE(back.empty());
  CHECK(back.size() == g.size());
  CHECK(cv::norm(back, g, cv::NORM_INF) == 0);
}

TEST_CASE("grid: the image encoding comes from the file name's extension, any case", "[io]") {
  CHECK(gen::image_encoding("out/grid.PNG") == ".png");
  CHECK(gen::image_encoding("a.b/grid.jpeg") == ".jpg");
  CHECK(gen::image_encoding("grid.JPG") == ".jpg");
  CHECK(gen::image_encoding("grid.bmp").empty());
  CHECK(gen::image_encoding("folder.png/grid").empty());  // the dot of a folder, not of the file
  CHECK(gen::image_encoding("cat/.png").empty());         // a hidden file without an extension
  CHECK(gen::image_encoding(".png").empty());
  gen::test::TempDir dir;
  const cv::Mat m(4, 4, CV_8UC1, cv::Scalar(7));
  gen::write_image(dir / "a.jpeg", m);
  CHECK(gen::test::read_text(dir / "a.jpeg").substr(0, 2) == "\xFF\xD8");
  CHECK_THROWS_AS(gen::write_image(dir / "a.tiff", m), gen::IoError);
}
