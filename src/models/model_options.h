// Helpers for a family's options struct (a visit() like the config's): read and check the
// raw YAML under `model`, and turn the result back into YAML for the resolved config.
#pragma once

#include <yaml-cpp/yaml.h>

#include "config/options.h"

namespace gen {

template <class Options>
Options read_model_options(const YAML::Node& node, const ConfigSource* source) {
  return read_options<Options>(node, "model", source);
}

template <class Options>
YAML::Node resolve_model_options_as(const YAML::Node& raw, const ConfigSource* source) {
  Options options = read_model_options<Options>(raw, source);
  return options_yaml(options);
}

template <class Options>
std::vector<std::string> model_option_lines() {
  return option_lines<Options>("model");
}

}  // namespace gen
