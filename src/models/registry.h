// Model families registered by `kind`. register_builtin_models() names every built-in family
// in one place (static self-registration is dropped by linkers in static libraries). Adding a
// family means one file in src/models/ whose register function makes one register_family
// call, one line in registry.cpp, the file in src/CMakeLists.txt, and one config.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/field.h"
#include "models/generative_model.h"
#include "models/model_options.h"
#include "util/threads.h"

namespace gen {

class GenerativeModel;
struct ModelContext;
struct Config;

struct ModelKind {
  std::string kind;
  std::string summary;
  // From the resolved config: a family may be conv- or matmul-bound depending on its options.
  std::function<CpuWorkload(const Config&)> workload;
  // Checks the family's keys under `model` (raw, with source marks) and returns them with
  // every default filled in. Throws ConfigError.
  std::function<YAML::Node(const YAML::Node& raw, const ConfigSource* source)> resolve_options;
  // "key = default  # help" lines for `gen config keys`.
  std::function<std::vector<std::string>()> key_lines;
  // key -> help of the family's top-level keys, for a commented config.yaml.
  std::function<YAML::Node()> key_docs;
  std::function<std::unique_ptr<GenerativeModel>(const ModelContext&)> build;
};

void register_model(ModelKind kind);
void register_builtin_models();  // idempotent

// A family whose keys under `model` are the struct Options (a visit() like the config's): its
// workload and builder get them parsed and checked, with every default filled in.
template <class Options>
void register_family(std::string kind, std::string summary, CpuWorkload (*workload)(const Options&),
                     std::unique_ptr<GenerativeModel> (*build)(const ModelContext&, const Options&)) {
  auto options_of = [](const Config& c) { return read_model_options<Options>(c.model.options, &c.source); };
  register_model(ModelKind{
      std::move(kind), std::move(summary), [workload, options_of](const Config& c) { return workload(options_of(c)); },
      resolve_model_options_as<Options>, model_option_lines<Options>, options_help<Options>,
      [build, options_of](const ModelContext& ctx) { return build(ctx, options_of(ctx.config)); }});
}

// Throws ConfigError naming the nearest registered kind.
const ModelKind& find_model_kind(const Config& config);
std::vector<std::string> model_kind_names();

// Replaces config.model.options by the family's resolved options (all defaults filled in).
void resolve_model_options(Config& config);

}  // namespace gen
