// Key-by-key differences between two resolved configs (what changed since a checkpoint).
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace gen {

struct ConfigChange {
  std::string key;  // full path, e.g. "train.steps"
  std::string before;
  std::string after;
};

std::vector<ConfigChange> config_differences(const Config& before, const Config& after);

// Whether `key` may change when a run resumes: what its field declares (Doc::may_change_on_resume:
// cadence, length, learning rate, where it runs); never a model.* key.
bool change_allowed_on_resume(const std::string& key);

}  // namespace gen
