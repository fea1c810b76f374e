#include <catch2/catch.hpp>

#include "support/run_gen.h"
#include "util/progress_line.h"

TEST_CASE("progress line: bar, step, steps/s and ETA from the whole run's average", "[util]") {
  // 100 of 1000 steps after 50 s: 2 steps/s, 900 steps to go -> 7m30s.
  CHECK(gen::ProgressLine::render(100, 0, 1000, 50.0, 10) ==
        "[#.........] 100/1000  10.0% | 2.00 steps/s | eta 7m30s");
  // A resumed run: the rate counts the steps this process trained (from 500).
  CHECK(gen::ProgressLine::render(600, 500, 24000, 50.0, 10) ==
        "[..........] 600/24000   2.5% | 2.00 steps/s | eta 3h15m");
  CHECK(gen::ProgressLine::render(0, 0, 10, 0.0, 4) == "[....] 0/10   0.0% | 0.00 steps/s | eta ?");
  CHECK(gen::ProgressLine::render(10, 0, 10, 5.0, 4) == "[####] 10/10 100.0% | 2.00 steps/s | eta 0m00s");
  CHECK(gen::duration_text(119.6) == "2m00s");  // rounded first: the log line once said "1m60s"
  CHECK(gen::duration_text(3599.6) == "1h00m");
}

TEST_CASE("progress line: drawn in place on a terminal, absent from plain output", "[smoke]") {
  gen::test::TempDir dir;
  const std::string sets = gen::test::with_tiny_mnist(dir);
  // ctest's output is not a terminal: plain log lines only.
  gen::test::Run r = gen::test::run_gen("train configs/tiny/dcgan.yaml" + sets, dir);
  REQUIRE(r.code == 0);
  CHECK(r.output.find('\r') == std::string::npos);
  // GEN_PROGRESS=1 stands in for a terminal: the line is redrawn after carriage returns, and
  // every log line starts at column 0 (cleared first).
  r = gen::test::run_gen("train configs/tiny/dcgan.yaml --set name=bar" + sets, dir, "GEN_PROGRESS=1 ");
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("\r\033[K[") && Catch::Contains("6/6 100.0% |") && Catch::Contains("eta "));
  int lines = 0;
  for (size_t at = r.output.find("] step "); at != std::string::npos; at = r.output.find("] step ", at + 1), ++lines) {
    const size_t p = at - 9;  // "[HH:MM:SS] step 2/6 | ..."
    REQUIRE(r.output[p] == '[');
    INFO(r.output.substr(p > 40 ? p - 40 : 0, 60));
    CHECK((p == 0 || r.output[p - 1] == '\n' || r.output.compare(p - 3, 3, "\033[K") == 0));
  }
  CHECK(lines == 3);
}
