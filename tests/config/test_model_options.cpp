#include <catch2/catch.hpp>

#include "cli/experiment.h"
#include "models/registry.h"
#include "support/temp_dir.h"
#include "util/errors.h"

using gen::test::TempDir;
using gen::test::write_text;

namespace {
std::string error_of(const std::string& text) {
  TempDir dir;
  write_text(dir / "m.yaml", text);
  try {
    gen::load_resolved_config(dir / "m.yaml", {});
  } catch (const gen::ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("model options: unknown family keys and kinds are named with a suggestion", "[config]") {
  CHECK_THAT(error_of("model:\n  kind: dcgan\n  latnet_dim: 3\n"),
             Catch::Contains("m.yaml:3:15: model.latnet_dim: unknown key (did you mean 'model.latent_dim'?)"));
  CHECK_THAT(error_of("model:\n  kind: dcgna\n"),
             Catch::Contains("unknown model kind 'dcgna' (did you mean 'dcgan'?)"));
  CHECK_THAT(error_of("model:\n  kind: dcgan\n  g_channels: 0\n"),
             Catch::Contains("m.yaml:3:15: model.g_channels: expected an integer between 1 and 4096"));
}

TEST_CASE("model options: resolution fills in the family's defaults", "[config]") {
  TempDir dir;
  write_text(dir / "m.yaml", "model: {kind: dcgan, latent_dim: 12}\n");
  const gen::Config c = gen::load_resolved_config(dir / "m.yaml", {});
  CHECK(c.model.options["latent_dim"].as<int>() == 12);
  CHECK(c.model.options["g_channels"].as<int>() == 64);
  CHECK(c.model.options["d_channels"].as<int>() == 64);
}

TEST_CASE("model options: a list of integers is checked element by element, and written back as a list", "[config]") {
  CHECK_THAT(error_of("model:\n  kind: diffusion\n  block_out_channels: [32, x]\n"),
             Catch::Contains("m.yaml:3:28: model.block_out_channels[1]: expected an integer, got 'x'"));
  CHECK_THAT(error_of("model:\n  kind: diffusion\n  block_out_channels: [32, 0]\n"),
             Catch::Contains("model.block_out_channels[1]: expected an integer between 1 and 4096, got 0"));
  CHECK_THAT(error_of("model:\n  kind: diffusion\n  attention_levels: 2\n"),
             Catch::Contains("model.attention_levels: expected a list of integers, got"));
  TempDir dir;
  write_text(dir / "m.yaml", "model: {kind: diffusion, block_out_channels: [16, 32], attention_levels: []}\n");
  const gen::Config c = gen::load_resolved_config(dir / "m.yaml", {});
  CHECK(c.model.options["block_out_channels"].as<std::vector<int64_t>>() == std::vector<int64_t>{16, 32});
  CHECK(c.model.options["attention_levels"].size() == 0);
}
