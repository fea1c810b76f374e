// An options struct with a visit() like the config's (a model family's keys under `model`, a
// data kind's under `data`): read from raw YAML with checks and positions, written back as YAML
// with every default filled in, and listed for `gen config keys`.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "config/yaml_reader.h"
#include "config/yaml_writer.h"

namespace gen {

// Throws ConfigError naming "SECTION.key" and where it was given. `beside`: the section's other
// keys, read elsewhere, listed as valid (and suggested for a misspelt key) when one is unknown.
template <class Options>
Options read_options(const YAML::Node& node, const std::string& section, const ConfigSource* source,
                     const std::vector<std::string>& beside = {}) {
  Options options;
  YamlReader reader(node, section, source);
  std::string unused;
  for (const std::string& key : beside) reader(key.c_str(), unused, Doc(""));  // absent from `node`: nothing read
  options.visit(reader);
  reader.finish();
  return options;
}

template <class Options>
YAML::Node options_yaml(Options& options) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  YamlWriter writer(out, false);
  options.visit(writer);
  out << YAML::EndMap;
  return YAML::Load(out.c_str());
}

// Each top-level key's help text (YamlWriter::rest comments the resolved keys with it).
template <class Options>
YAML::Node options_help() {
  Options defaults;
  DocCollector collector;
  defaults.visit(collector);
  return collector.docs();
}

// "SECTION.key = default  # help" lines.
template <class Options>
std::vector<std::string> option_lines(const std::string& section) {
  Options defaults;
  KeyLister lister(section + ".");
  defaults.visit(lister);
  return lister.lines();
}

}  // namespace gen
