#include "cli/experiment.h"

#include "data/data_registry.h"
#include "models/registry.h"
#include "optim/net_optimizer.h"
#include "util/autocast.h"
#include "util/errors.h"
#include "util/fs.h"

namespace gen {

std::vector<std::string> config_search_dirs() {
  std::vector<std::string> dirs{"configs"};
  if (const std::string bin = executable_dir(); !bin.empty()) dirs.push_back(parent_dir(bin) + "/share/gen/configs");
  return dirs;
}

std::string find_config(const std::string& name) {
  const bool explicit_path = name.empty() || name[0] == '/' || name.rfind("./", 0) == 0 || name.rfind("../", 0) == 0;
  if (target_exists(name) || explicit_path) return name;
  const bool has_ext = name.size() > 5 && name.compare(name.size() - 5, 5, ".yaml") == 0;
  std::string tried;
  for (const std::string& dir : config_search_dirs()) {
    const std::string path = dir + "/" + name + (has_ext ? "" : ".yaml");
    if (target_exists(path)) return path;
    tried += (tried.empty() ? "" : ", ") + path;
  }
  throw ConfigError(name + ": no such config file, and none named so in " + tried);
}

Config load_resolved_config(const std::string& file, const std::vector<std::string>& overrides) {
  Config config = load_config(find_config(file), overrides);
  resolve_model_options(config);
  resolve_data_options(config);
  // A precision or optimizer kernel the CPU cannot run is a config error, found before anything
  // starts (a CUDA config is checked where its device is chosen: `config show` of one works anywhere).
  const bool on_cpu = config.device == "cpu" || (config.device == "auto" && !torch::cuda::is_available());
  try {
    if (on_cpu) {
      resolve_precision(config.runtime.precision, config.runtime.tf32, torch::kCPU);
      uses_fused_adam(config.optim.kernel, torch::kCPU);
    }
  } catch (const ConfigError& e) {
    throw ConfigError(config.source.file + ": " + e.what());
  }
  return config;
}

}  // namespace gen
