#include "cli/experiment.h"

#include "data/data_registry.h"
#include "models/registry.h"

namespace gen {

Config load_resolved_config(const std::string& file, const std::vector<std::string>& overrides) {
  Config config = load_config(file, overrides);
  resolve_model_options(config);
  resolve_data_options(config);
  return config;
}

}  // namespace gen
