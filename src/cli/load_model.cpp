#include "cli/load_model.h"

#include "data/data_registry.h"
#include "models/generative_model.h"
#include "models/model_checkpoint.h"
#include "models/registry.h"

namespace gen {

LoadedModel load_model(const std::string& path, torch::Device device) {
  LoadedModel loaded{open_checkpoint_resolved(path, device), nullptr};
  loaded.model = build_model(loaded.checkpoint.config, loaded.checkpoint.data, device);
  load_model_state(loaded.checkpoint, *loaded.model);
  return loaded;
}

}  // namespace gen
