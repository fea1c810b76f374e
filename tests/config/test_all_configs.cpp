// Every YAML under configs/ loads, resolves and builds its model; every registered model kind
// has at least one config.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

#include "cli/experiment.h"
#include "data/data_options.h"
#include "models/generative_model.h"
#include "models/registry.h"

TEST_CASE("every config under configs/ loads and builds its model", "[config]") {
  std::set<std::string> kinds_seen;
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(GEN_SOURCE_DIR "/configs")) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    INFO(entry.path().string());
    const gen::Config c = gen::load_resolved_config(entry.path().string(), {});
    kinds_seen.insert(c.model.kind);
    gen::DataSpec spec;
    if (c.data.kind == gen::DataKind::kText || c.data.kind == gen::DataKind::kTokens) {
      spec.text.tokenizer = "char";
      spec.text.vocabulary = "\n !abcdefghijklmnopqrstuvwxyz";
      spec.text.vocab_size = static_cast<int64_t>(spec.text.vocabulary.size());
      spec.text.block_size = c.data.kind == gen::DataKind::kText
                                 ? gen::data_options<gen::TextOptions>(c.data).block_size
                                 : gen::data_options<gen::TokensOptions>(c.data).block_size;
    } else {
      const int64_t size = c.data.image_size > 0 ? c.data.image_size : 28;
      spec = gen::DataSpec::image(1, size, size, 10);
    }
    REQUIRE_NOTHROW(gen::build_model(c, spec, torch::kCPU));
  }
  CHECK(files >= 3);
  for (const auto& kind : gen::model_kind_names()) {
    INFO("model kind without a config: " << kind);
    CHECK(kinds_seen.count(kind) == 1);
  }
}
