// Loading a config the way every command does: the file, its --set overrides, and the model
// family's own options checked and filled in.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace gen {

// `file` is a path, or the name of a shipped config ("dcgan_mnist", "tiny/dcgan.yaml") that is not
// a file here, found in ./configs or in the installed <prefix>/share/gen/configs beside
// <prefix>/bin/gen.
Config load_resolved_config(const std::string& file, const std::vector<std::string>& overrides);

// The path of a config given by path or by name, as above; throws ConfigError naming where it looked.
std::string find_config(const std::string& name);
std::vector<std::string> config_search_dirs();

}  // namespace gen
