// Helpers for a family's options struct (a visit() like the config's): read and check the
// raw YAML under `model`, and turn the result back into YAML for the resolved config.
#pragma once

#include <yaml-cpp/yaml.h>

#include "config/yaml_reader.h"
#include "config/yaml_writer.h"

namespace gen {

template <class Options>
Options read_model_options(const YAML::Node& node, const ConfigSource* source) {
  Options options;
  YamlReader reader(node, "model", source);
  options.visit(reader);
  reader.finish();
  return options;
}

template <class Options>
YAML::Node resolve_model_options_as(const YAML::Node& raw, const ConfigSource* source) {
  Options options = read_model_options<Options>(raw, source);
  YAML::Emitter out;
  out << YAML::BeginMap;
  YamlWriter writer(out, false);
  options.visit(writer);
  out << YAML::EndMap;
  return YAML::Load(out.c_str());
}

template <class Options>
std::vector<std::string> model_option_lines() {
  Options defaults;
  KeyLister lister("model.");
  defaults.visit(lister);
  return lister.lines();
}

}  // namespace gen
