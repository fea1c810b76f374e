#include "config/diff.h"

#include <map>

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
  auto starts = [&](const char* p) { return key.rfind(p, 0) == 0; };
  if (key == "train.accumulate") return false;  // changes the effective batch
  return starts("train.") || starts("runtime.") || starts("eval.") || starts("guard.") || starts("checkpoint.") || key == "optim.lr" || key == "optim.weight_decay" ||
         key == "optim.schedule" || key == "optim.warmup_steps" || key == "optim.min_lr" || key == "optim.grad_clip" ||
         key == "out_dir" || key == "name" || key == "device" || key == "data.root";
}

}  // namespace gen
