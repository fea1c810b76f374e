#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include <cmath>

#include "eval/report.h"

TEST_CASE("eval report: JSON holds every figure, escapes strings, writes non-finite values as null", "[eval]") {
  gen::EvalReport r;
  r.info = {{"checkpoint", "runs/a \"b\"\\c.pt"}, {"step", "10"}};
  r.add("fid_mnist_cnn", 12.5, "lower is better");
  r.add("bad", std::nan(""), "never measured");
  const std::string json = gen::report_json(r);
  // JSON is YAML 1.2 flow syntax: yaml-cpp parses it back.
  const YAML::Node n = YAML::Load(json);
  CHECK(n["info"]["checkpoint"].as<std::string>() == "runs/a \"b\"\\c.pt");
  CHECK(n["figures"]["fid_mnist_cnn"].as<double>() == 12.5);
  CHECK(n["figures"]["bad"].IsNull());
  CHECK(n["meaning"]["fid_mnist_cnn"].as<std::string>() == "lower is better");
  const std::string table = gen::report_table(r);
  CHECK_THAT(table, Catch::Contains("fid_mnist_cnn") && Catch::Contains("12.5"));
}
