#include "config/diff.h"

#include <map>
#include <set>

namespace gen {

namespace {
void flatten(const YAML::Node& node, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      flatten(kv.second, prefix.empty() ? kv.first.Scalar() : prefix + "." + kv.first.Scalar(), out);
    }
    return;
  }
  YAML::Emitter e;
  e << YAML::Flow << node;
  out[prefix] = e.c_str();
}

// Collects the full paths of the keys whose Doc says they may change on resume.
class ResumableKeys {
 public:
  explicit ResumableKeys(std::string prefix = "") : prefix_(std::move(prefix)) {}
  template <class T>
  void operator()(const char* key, const T& /*value*/, const Doc& doc) {
    if (doc.resumable) keys.insert(prefix_ + key);
  }
  template <class S>
  void section(const char* key, S& sub, const Doc& /*doc*/) {
    ResumableKeys inner(prefix_ + key + ".");
    sub.visit(inner);
    keys.insert(inner.keys.begin(), inner.keys.end());
  }
  void rest(const YAML::Node& /*extra*/, const YAML::Node& /*docs*/ = YAML::Node()) {}  // model.* keys are the family's: never resumable

  std::set<std::string> keys;

 private:
  std::string prefix_;
};

std::map<std::string, std::string> flat(const Config& c) {
  std::map<std::string, std::string> out;
  flatten(YAML::Load(config_to_yaml(c, false)), "", out);
  return out;
}
}  // namespace

std::vector<ConfigChange> config_differences(const Config& before, const Config& after) {
  const auto a = flat(before), b = flat(after);
  std::vector<ConfigChange> changes;
  for (const auto& [key, value] : a) {
    auto it = b.find(key);
    const std::string now = it == b.end() ? "(absent)" : it->second;
    if (now != value) changes.push_back({key, value, now});
  }
  for (const auto& [key, value] : b) {
    if (!a.count(key)) changes.push_back({key, "(absent)", value});
  }
  return changes;
}

bool change_allowed_on_resume(const std::string& key) {
  static const std::set<std::string> resumable = [] {
    Config defaults;
    ResumableKeys collector;
    defaults.visit(collector);
    return collector.keys;
  }();
  return resumable.count(key) > 0;
}

}  // namespace gen
