#include <catch2/catch.hpp>

#include "config/config.h"
#include "config/diff.h"
#include "support/temp_dir.h"
#include "util/errors.h"

using gen::ConfigError;
using gen::load_config;
using gen::test::TempDir;
using gen::test::write_text;

namespace {
// The message load_config throws for TEXT (with OVERRIDES), or "" when it loads.
std::string error_of(const TempDir& dir, const std::string& text, const std::vector<std::string>& overrides = {}) {
  write_text(dir / "c.yaml", text);
  try {
    load_config(dir / "c.yaml", overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
const char* kMinimal = "model:\n  kind: dcgan\n";
}  // namespace

TEST_CASE("config: defaults come from code, name from the file stem", "[config]") {
  TempDir dir;
  write_text(dir / "my_run.yaml", kMinimal);
  const gen::Config c = load_config(dir / "my_run.yaml");
  CHECK(c.name == "my_run");
  CHECK(c.seed == 0);
  CHECK(c.device == "auto");
  CHECK_FALSE(c.runtime.threads.has_value());
  CHECK(c.data.batch_size == 128);
  CHECK(c.optim.lr == Approx(2e-4));
  CHECK(c.optim.betas == std::vector<double>{0.5, 0.999});
  CHECK(c.train.keep_last == 3);
  CHECK(c.model.kind == "dcgan");
  CHECK(c.run_dir() == "runs/my_run");
}

TEST_CASE("config: values and nested sections are read", "[config]") {
  TempDir dir;
  write_text(dir / "c.yaml",
             "name: x\nseed: 7\ndevice: cuda:1\nruntime: {threads: 3, blas_threads: auto}\n"
             "data: {batch_size: 64, image_size: 32}\noptim: {lr: 1e-3, betas: [0.9, 0.99]}\n"
             "model: {kind: dcgan, latent_dim: 10}\ntrain: {steps: 5}\n");
  const gen::Config c = load_config(dir / "c.yaml");
  CHECK(c.seed == 7);
  CHECK(c.device == "cuda:1");
  CHECK(c.runtime.threads == 3);
  CHECK_FALSE(c.runtime.blas_threads.has_value());
  CHECK(c.data.batch_size == 64);
  CHECK(c.optim.lr == Approx(1e-3));
  CHECK(c.optim.betas[1] == Approx(0.99));
  CHECK(c.train.steps == 5);
  CHECK(c.model.options["latent_dim"].as<int>() == 10);  // family keys pass through untouched
}

TEST_CASE("config: --set overrides scalars, lists and missing sections", "[config]") {
  TempDir dir;
  write_text(dir / "c.yaml", kMinimal);
  const gen::Config c =
      load_config(dir / "c.yaml", {"train.steps=30", "optim.betas=[0.1, 0.2]", "runtime.threads=1", "name=other"});
  CHECK(c.train.steps == 30);
  CHECK(c.optim.betas == std::vector<double>{0.1, 0.2});
  CHECK(c.runtime.threads == 1);
  CHECK(c.name == "other");
}

TEST_CASE("config: unknown keys name the full path, the nearest key and the location", "[config]") {
  TempDir dir;
  const std::string msg = error_of(dir, "model:\n  kind: dcgan\ntrain:\n  stpes: 10\n");
  CHECK_THAT(msg, Catch::Contains("c.yaml:4:3: train.stpes: unknown key"));
  CHECK_THAT(msg, Catch::Contains("did you mean 'train.steps'"));
  CHECK_THAT(error_of(dir, "modle: {kind: dcgan}\n"), Catch::Contains("did you mean 'model'"));
}

TEST_CASE("config: wrong types name file, line, column and what was expected", "[config]") {
  TempDir dir;
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\ntrain:\n  steps: many\n"),
             Catch::Contains("c.yaml:3:10: train.steps: expected an integer, got 'many'"));
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\ntrain:\n  steps: 1.5\n"), Catch::Contains("expected an integer"));
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\noptim: {lr: fast}\n"),
             Catch::Contains("optim.lr: expected a finite number, got 'fast'"));
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\noptim: {betas: 0.5}\n"),
             Catch::Contains("optim.betas: expected a list of numbers"));
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\ndata: [1, 2]\n"),
             Catch::Contains("data: expected a mapping of keys"));
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\ndata: {kind: cifar}\n"),
             Catch::Contains("data.kind: expected one of mnist|fashion_mnist|idx|image_folder|text|tokens, got 'cifar'"));
}

TEST_CASE("config: sizes out of range are refused before anything is allocated", "[config]") {
  TempDir dir;
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\ndata: {batch_size: 1000000000}\n"),
             Catch::Contains("data.batch_size: expected an integer between 1 and 65536"));
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\ndata: {batch_size: 0}\n"), Catch::Contains("data.batch_size"));
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\ntrain: {steps: -5}\n"), Catch::Contains("train.steps"));
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\ntrain: {steps: 99999999999999999999999}\n"),
             Catch::Contains("train.steps"));
}

TEST_CASE("config: cross-field checks", "[config]") {
  TempDir dir;
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\ndevice: gpu\n"),
             Catch::Contains("device: expected auto, cpu, cuda or cuda:N, got 'gpu'"));
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\noptim: {betas: [0.5]}\n"),
             Catch::Contains("optim.betas: expected two numbers"));
  CHECK_THAT(error_of(dir, "train: {steps: 3}\n"), Catch::Contains("model.kind: missing"));
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\nname: a/b\n"), Catch::Contains("name: expected a plain folder name"));
  // A data kind's own keys are checked when the config is resolved (tests/data/test_data_options.cpp).
}

TEST_CASE("config: YAML syntax errors and missing files", "[config]") {
  TempDir dir;
  CHECK_THAT(error_of(dir, "model: {kind: dcgan\ntrain: [\n"), Catch::Contains("YAML syntax error"));
  CHECK_THAT(error_of(dir, "- just\n- a list\n"), Catch::Contains("expected a mapping of keys at the top level"));
  CHECK_THROWS_AS(load_config(dir / "missing.yaml"), ConfigError);
}

TEST_CASE("config: --set errors name the flag", "[config]") {
  TempDir dir;
  CHECK_THAT(error_of(dir, kMinimal, {"train.steps"}), Catch::Contains("--set train.steps: expected KEY=VALUE"));
  CHECK_THAT(error_of(dir, kMinimal, {"train.stpes=3"}),
             Catch::Contains("--set train.stpes=3: train.stpes: unknown key"));
  CHECK_THAT(error_of(dir, kMinimal, {"train.steps=abc"}),
             Catch::Contains("--set train.steps=abc: train.steps: expected an integer"));
  CHECK_THAT(error_of(dir, kMinimal, {"seed.x=1"}),
             Catch::Contains("--set seed.x=1: seed: expected an integer, got a mapping"));
  write_text(dir / "s.yaml", "seed: 1\nmodel: {kind: dcgan}\n");
  CHECK_THROWS_WITH(load_config(dir / "s.yaml", {"seed.x=1"}), Catch::Contains("'seed' is a value, not a section"));
}

TEST_CASE("config: the resolved YAML reads back to the same config", "[config]") {
  TempDir dir;
  write_text(dir / "c.yaml", "name: r\nseed: 3\noptim: {lr: 0.0002}\nmodel: {kind: dcgan, latent_dim: 8}\n");
  const gen::Config a = load_config(dir / "c.yaml", {"train.steps=42"});
  for (bool comments : {false, true}) {
    const gen::Config b = gen::parse_config(gen::config_to_yaml(a, comments), "round-trip");
    CHECK(gen::config_differences(a, b).empty());
    CHECK(b.train.steps == 42);
    CHECK(b.optim.lr == 2e-4);
  }
  CHECK_THAT(gen::config_to_yaml(a, false), Catch::Contains("lr: 0.0002"));
}

TEST_CASE("config: differences list changed keys, only meaning-preserving ones may change on resume", "[config]") {
  TempDir dir;
  write_text(dir / "c.yaml", kMinimal);
  const gen::Config a = load_config(dir / "c.yaml");
  const gen::Config b = load_config(dir / "c.yaml", {"train.steps=9", "data.batch_size=3"});
  const auto changes = gen::config_differences(a, b);
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].key == "data.batch_size");
  CHECK(changes[1].key == "train.steps");
  CHECK(changes[1].after == "9");
  CHECK(gen::change_allowed_on_resume("train.steps"));
  CHECK(gen::change_allowed_on_resume("optim.lr"));
  CHECK_FALSE(gen::change_allowed_on_resume("data.batch_size"));
  CHECK_FALSE(gen::change_allowed_on_resume("model.latent_dim"));
  // What each key's Doc declares: the state a checkpoint holds may not change.
  CHECK_FALSE(gen::change_allowed_on_resume("train.ema"));
  CHECK_FALSE(gen::change_allowed_on_resume("train.accumulate"));
  CHECK_FALSE(gen::change_allowed_on_resume("optim.betas"));
  CHECK_FALSE(gen::change_allowed_on_resume("seed"));
  CHECK(gen::change_allowed_on_resume("data.root"));
  CHECK(gen::change_allowed_on_resume("runtime.threads"));
  CHECK(gen::change_allowed_on_resume("guard.lr_factor"));
  CHECK(gen::change_allowed_on_resume("train.keep_best"));
}

TEST_CASE("config: key listing covers every section with defaults and help", "[config]") {
  const auto lines = gen::config_key_lines();
  auto has = [&](const std::string& prefix) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
  };
  CHECK(has("train.steps = 1000"));
  CHECK(has("optim.betas = [0.5, 0.999]"));
  CHECK(has("runtime.threads = auto"));
  CHECK(has("data.kind = mnist"));
}

TEST_CASE("config: hostile YAML ends in one ConfigError: repeated keys, deep nesting, alias bombs, absurd sizes",
          "[config]") {
  TempDir dir;
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\nseed: 1\nseed: 2\n"),
             Catch::Contains("c.yaml:3:1: seed: key given twice (first at line 2)"));
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\ntrain: {steps: 5, steps: 6}\n"),
             Catch::Contains("train.steps: key given twice"));
  // Deep nesting: yaml-cpp's own depth limit, reported as a syntax error with the position.
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\ndata: " + std::string(100000, '[') + std::string(100000, ']') + "\n"),
             Catch::Contains("c.yaml:2:") && Catch::Contains("YAML syntax error"));
  // A billion-laughs alias bomb: aliases share nodes, so nothing expands; the unknown key and the
  // wrong type are found without walking the expansion.
  std::string bomb = "model: {kind: dcgan}\n_a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  std::string prev = "a";
  for (const char* name : {"b", "c", "d", "e", "f", "g", "h", "i"}) {
    bomb += std::string("_") + name + ": &" + name + " [";
    for (int i = 0; i < 9; ++i) bomb += (i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = name;
  }
  CHECK_THAT(error_of(dir, bomb), Catch::Contains("_a: unknown key"));
  CHECK_THAT(error_of(dir, "x: &x [[1, 2], [3, 4]]\nmodel: {kind: dcgan}\n", {}), Catch::Contains("x: unknown key"));
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\ntrain: &t {steps: 5}\noptim: {betas: *t}\n"),
             Catch::Contains("optim.betas") && Catch::Contains("expected"));
  // Numbers beyond every type, and memory no machine has.
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\ntrain: {steps: 99999999999999999999999999}\n"),
             Catch::Contains("train.steps: expected an integer between 1 and"));
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\noptim: {lr: 1e999}\n"),
             Catch::Contains("optim.lr: expected a finite number"));
  CHECK_THAT(error_of(dir, "model: {kind: dcgan}\noptim: {lr: .nan}\n"),
             Catch::Contains("optim.lr: expected a finite number"));
  CHECK_THAT(
      error_of(dir,
               "model: {kind: dcgan}\ndata: {kind: image_folder, image_size: 1024, channels: 3, batch_size: 65536}\n"),
      Catch::Contains("data.batch_size: 768.0 GiB per batch") && Catch::Contains("limit is 16.0 GiB"));
  CHECK(error_of(dir, "model: {kind: dcgan}\ndata: {image_size: 64, batch_size: 4096}\n").empty());
  // Tens of MB of YAML would take GBs of memory as a node tree: refused by size before parsing.
  std::string big = "model: {kind: dcgan}\n";
  while (big.size() <= (size_t(1) << 20)) big += "# " + std::string(98, 'x') + "\n";
  CHECK_THAT(error_of(dir, big), Catch::Contains("c.yaml: larger than 1024 KiB"));
  // Bytes that are not text.
  CHECK_THAT(error_of(dir, std::string("model: {kind: dcgan}\n\"\\\xff\xfe\"\n")),
             Catch::Contains("YAML syntax error"));
}
