// Each data kind's own keys: checked once when the config is resolved, with the file position,
// and keys of another kind refused (or, in a checkpoint written before kinds had their own
// keys, dropped).
#include <catch2/catch.hpp>

#include "cli/experiment.h"
#include "config/config.h"
#include "data/data_options.h"
#include "data/data_registry.h"
#include "support/temp_dir.h"
#include "util/errors.h"

using gen::test::TempDir;

namespace {
// The message resolving TEXT throws, or "" when it resolves.
std::string error_of(const TempDir& dir, const std::string& text) {
  gen::test::write_text(dir / "c.yaml", "model: {kind: dcgan}\n" + text);
  try {
    gen::load_resolved_config(dir / "c.yaml", {});
  } catch (const gen::ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("data options: each kind checks its own keys, with the file position", "[config]") {
  TempDir dir;
  CHECK_THAT(error_of(dir, "data: {kind: idx}\n"),
             Catch::Contains("c.yaml: data.images: data.kind idx needs data.images"));
  CHECK_THAT(error_of(dir, "data:\n  kind: image_folder\n  image_size: 32\n  channels: 2\n"),
             Catch::Contains("c.yaml:5:13: data.channels: expected 1 (grayscale) or 3 (RGB), got 2"));
  CHECK_THAT(error_of(dir, "data: {kind: image_folder}\n"), Catch::Contains("needs data.image_size"));
  CHECK_THAT(error_of(dir, "data: {kind: text, block_size: 0}\n"), Catch::Contains("data.block_size"));
  // A key of another kind does nothing here, so it is refused rather than ignored.
  CHECK_THAT(error_of(dir, "data: {kind: mnist, file: input.txt}\n"),
             Catch::Contains("c.yaml:2:27: data.file: a key of data.kind text, not of data.kind mnist"));
  // A misspelt common key is suggested even for a kind without keys of its own.
  CHECK_THAT(error_of(dir, "data: {kind: mnist, batch_sise: 3}\n"),
             Catch::Contains("did you mean 'data.batch_size'") && Catch::Contains("valid keys here: kind, root"));
  CHECK_THAT(error_of(dir, "data: {kind: text, fle: a.txt}\n"), Catch::Contains("did you mean 'data.file'"));
  CHECK(error_of(dir, "data: {kind: idx, images: a.idx}\n").empty());
}

TEST_CASE("data options: resolved options hold every default, and a kind's struct reads them", "[config]") {
  TempDir dir;
  gen::test::write_text(dir / "c.yaml", "model: {kind: transformer}\ndata: {kind: text, block_size: 32}\n");
  const gen::Config c = gen::load_resolved_config(dir / "c.yaml", {});
  CHECK(c.data.options["file"].as<std::string>() == "input.txt");
  CHECK(c.data.options["tokenizer"].as<std::string>() == "char");
  const auto o = gen::data_options<gen::TextOptions>(c.data);
  CHECK(o.block_size == 32);
  CHECK(o.val_fraction == Approx(0.1));
  CHECK_THAT(gen::config_to_yaml(c, false), Catch::Contains("block_size: 32") && !Catch::Contains("channels"));
}

TEST_CASE("data options: a checkpoint's config with every kind's keys (gen 0.1) resolves by dropping the others",
          "[config]") {
  // What gen 0.1 embedded: all data keys, whatever the kind.
  const std::string old =
      "model: {kind: dcgan}\ndata: {kind: mnist, root: data/mnist, images: '', labels: '', channels: 3, "
      "strict: false, file: input.txt, tokenizer: char, val_fraction: 0.1, block_size: 64}\n";
  gen::Config c = gen::parse_config(old, "old.pt (embedded config)");
  CHECK_THROWS_WITH(gen::resolve_data_options(c),
                    Catch::Contains("data.images: a key of data.kind idx, not of data.kind mnist"));
  gen::resolve_data_options(c, gen::ForeignKeys::kDrop);
  CHECK(c.data.options.size() == 0);
  gen::Config t = gen::parse_config(
      "model: {kind: transformer}\ndata: {kind: text, images: '', channels: 3, block_size: 16}\n", "old.pt");
  gen::resolve_data_options(t, gen::ForeignKeys::kDrop);
  CHECK(gen::data_options<gen::TextOptions>(t.data).block_size == 16);
}
