// Model families registered by `kind`. register_builtin_models() names every built-in family
// in one place (static self-registration is dropped by linkers in static libraries). Adding a
// family means one file in src/models/ that defines its register function, one line in
// registry.cpp, and one config.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/field.h"
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
  std::function<std::unique_ptr<GenerativeModel>(const ModelContext&)> build;
};

void register_model(ModelKind kind);
void register_builtin_models();  // idempotent

// Throws ConfigError naming the nearest registered kind.
const ModelKind& find_model_kind(const Config& config);
std::vector<std::string> model_kind_names();

// Replaces config.model.options by the family's resolved options (all defaults filled in).
void resolve_model_options(Config& config);

}  // namespace gen
