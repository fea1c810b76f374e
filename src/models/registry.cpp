#include "models/registry.h"

#include "models/generative_model.h"

#include <algorithm>

#include "config/config.h"
#include "config/nearest.h"
#include "config/yaml_reader.h"
#include "util/autocast.h"
#include "util/errors.h"

namespace gen {

// Each family's file defines one of these.
void register_classifier();
void register_dcgan();
void register_diffusion();
void register_transformer();
void register_vae();

namespace {
std::vector<ModelKind>& kinds() {
  static std::vector<ModelKind> registry;
  return registry;
}
}  // namespace

void register_model(ModelKind kind) {
  auto& all = kinds();
  auto same = [&](const ModelKind& k) { return k.kind == kind.kind; };
  all.erase(std::remove_if(all.begin(), all.end(), same), all.end());
  all.push_back(std::move(kind));
}

void register_builtin_models() {
  static const bool once = [] {
    register_classifier();
    register_dcgan();
    register_diffusion();
    register_transformer();
    register_vae();
    return true;
  }();
  (void)once;
}

std::vector<std::string> model_kind_names() {
  register_builtin_models();
  std::vector<std::string> names;
  for (const auto& k : kinds()) names.push_back(k.kind);
  return names;
}

const ModelKind& find_model_kind(const Config& config) {
  register_builtin_models();
  for (const auto& k : kinds()) {
    if (k.kind == config.model.kind) return k;
  }
  const auto names = model_kind_names();
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : "|") + n;
  const std::string near = nearest_word(config.model.kind, names);
  throw ConfigError(describe_location(&config.source, YAML::Node(), "model.kind") +
                    ": model.kind: unknown model kind '" + config.model.kind + "'" +
                    (near.empty() ? "" : " (did you mean '" + near + "'?)") + "; registered kinds: " + list);
}

std::unique_ptr<GenerativeModel> build_model(const Config& config, const DataSpec& data, torch::Device device) {
  const Precision precision = resolve_precision(config.runtime.precision, config.runtime.tf32, device);
  return find_model_kind(config).build(ModelContext{config, data, device, precision});
}

void resolve_model_options(Config& config) {
  const ModelKind& kind = find_model_kind(config);
  config.model.options = kind.resolve_options(config.model.options, &config.source);
  config.model.option_docs = kind.key_docs();
}

}  // namespace gen
