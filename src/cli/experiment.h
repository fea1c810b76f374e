// Loading a config the way every command does: the file, its --set overrides, and the model
// family's own options checked and filled in.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace gen {

Config load_resolved_config(const std::string& file, const std::vector<std::string>& overrides);

}  // namespace gen
