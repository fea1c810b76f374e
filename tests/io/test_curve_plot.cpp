#include <catch2/catch.hpp>

#include <opencv2/imgcodecs.hpp>

#include "io/curve_plot.h"
#include "support/run_gen.h"
#include "support/temp_dir.h"
#include "util/errors.h"

using gen::Panel;
using gen::Series;

TEST_CASE("curves: round tick values, log scale only for positive figures spanning decades", "[io]") {
  CHECK(gen::nice_ticks(0, 1000) == std::vector<double>{0, 200, 400, 600, 800, 1000});
  const auto t = gen::nice_ticks(0.013, 0.087, 4);  // step 0.02
  REQUIRE(t.size() == 4);
  CHECK(t[0] == Approx(0.02));
  CHECK(t[3] == Approx(0.08));
  CHECK(gen::nice_ticks(-3, 3, 6) == std::vector<double>{-3, -2, -1, 0, 1, 2, 3});
  CHECK(gen::nice_ticks(1, 1).empty());
  CHECK(gen::wants_log_scale(Panel{"lr", {Series{"lr", {{0, 1e-5}, {100, 1e-3}, {200, 2e-3}}}}}));
  CHECK_FALSE(gen::wants_log_scale(Panel{"loss", {Series{"loss", {{0, 0.5}, {100, 3.0}}}}}));
  CHECK_FALSE(gen::wants_log_scale(Panel{"loss", {Series{"loss", {{0, -1e-5}, {100, 1.0}}}}}));
  CHECK(gen::curve_family("loss_d") == "losses");
  CHECK(gen::curve_family("d_fake") == "D outputs");
  CHECK(gen::curve_family("val_loss") == "evaluation");
  CHECK(gen::curve_family("fid_mnist_cnn") == "evaluation");
  CHECK(gen::curve_family("tokens_per_s") == "throughput");
}

TEST_CASE("curves: metrics.jsonl read by figure, nulls left out, a bad line named", "[io]") {
  gen::test::TempDir dir;
  gen::test::write_text(dir / "m.jsonl", "{\"step\":2,\"loss\":1.5,\"lr\":0.001}\n{\"step\":4,\"loss\":null}\n"
                                         "{\"step\":6,\"loss\":0.5,\"val_loss\":0.7}\n");
  const gen::Curves c = gen::read_curves(dir / "m.jsonl");
  CHECK(c.at("loss") == std::vector<std::pair<double, double>>{{2, 1.5}, {6, 0.5}});
  CHECK(c.at("val_loss").size() == 1);
  const auto panels = gen::curve_panels({{"run", c}});
  REQUIRE(panels.size() == 3);
  CHECK(panels[0].title == "losses");
  CHECK(panels[1].title == "evaluation");
  CHECK(panels[2].title == "learning rate");
  const auto two = gen::curve_panels({{"a", c}, {"b", c}}, {"loss"});
  REQUIRE(two.size() == 1);
  REQUIRE(two[0].series.size() == 2);
  CHECK(two[0].series[1].label == "b: loss");
  gen::test::write_text(dir / "bad.jsonl", "{\"step\":2}\nnot json\n");
  CHECK_THROWS_WITH(gen::read_curves(dir / "bad.jsonl"), Catch::EndsWith("bad.jsonl:2: not a metrics line ({\"step\": N, ...})"));
}

TEST_CASE("curves: a flat series is a horizontal line of its colour inside the axes", "[io]") {
  const cv::Mat img = gen::draw_panels({Panel{"flat", {Series{"x", {{0, 1.0}, {50, 1.0}, {100, 1.0}}}}}}, 400, 300);
  REQUIRE((img.cols == 400 && img.rows == 300));
  // The first series' colour (tab10 blue), within the blending of anti-aliased drawing.
  const auto blue = [](const cv::Vec3b& p) { return p[0] > 120 && p[0] - p[2] > 60; };
  int best_row = -1, best = 0, elsewhere = 0;
  for (int y = 0; y < img.rows; ++y) {
    int n = 0;
    for (int x = 70; x < img.cols; ++x) n += blue(img.at<cv::Vec3b>(y, x));  // right of the legend's swatch
    if (n > best) best = n, best_row = y;
  }
  for (int y = 0; y < img.rows; ++y) {
    if (std::abs(y - best_row) > 1 && y > 50) {  // the legend (swatch and box) is above y = 50
      for (int x = 70; x < img.cols; ++x) elsewhere += blue(img.at<cv::Vec3b>(y, x));
    }
  }
  CHECK(best > 250);  // nearly the whole plot width (324 px)
  CHECK((best_row > 100 && best_row < 200));  // the middle of the y range
  CHECK(elsewhere == 0);
}

TEST_CASE("curves: a run writes curves.png, gen plot compares runs", "[smoke]") {
  gen::test::TempDir dir;
  const std::string sets = gen::test::with_tiny_mnist(dir);
  REQUIRE(gen::test::run_gen("train configs/tiny/dcgan.yaml" + sets, dir).code == 0);
  REQUIRE(gen::test::run_gen("train configs/tiny/dcgan.yaml --set name=b --set optim.lr=0.01" + sets, dir).code == 0);
  const cv::Mat curves = cv::imread(dir / "runs/dcgan/curves.png");
  CHECK((curves.cols == 2 * 560 && curves.rows == 2 * 340));  // losses, D outputs, learning rate, throughput
  gen::test::Run r = gen::test::run_gen(
      "plot " + (dir / "runs/dcgan") + " " + (dir / "runs/b") + " --keys loss_d,lr --out " + (dir / "cmp.png"), dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  const cv::Mat cmp = cv::imread(dir / "cmp.png");
  CHECK((cmp.cols == 2 * 560 && cmp.rows == 340));
  r = gen::test::run_gen("plot " + (dir / "runs/dcgan") + " --keys loss_x --out " + (dir / "x.png"), dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--keys loss_x: no run logged it; logged: ") && Catch::Contains("loss_d"));
  r = gen::test::run_gen("plot " + (dir / "nowhere"), dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("nowhere: no such run folder or metrics file"));
}
