#include "models/exported_network.h"

namespace gen {

const c10::IValue* find_arg(const std::vector<std::pair<std::string, c10::IValue>>& args, const std::string& key) {
  for (const auto& [k, v] : args) {
    if (k == key) return &v;
  }
  return nullptr;
}

torch::Tensor probe_copy(const torch::Tensor& t) { return t.detach().to(torch::kCPU).contiguous().clone(); }

NamedTensors state_dict_renamed(const torch::nn::Module& module,
                                const std::function<std::string(const std::string&)>& rename) {
  NamedTensors out;
  for (const auto& item : module.named_parameters()) out.emplace_back(rename(item.key()), probe_copy(item.value()));
  for (const auto& item : module.named_buffers()) out.emplace_back(rename(item.key()), probe_copy(item.value()));
  return out;
}

std::vector<std::string> name_parts(const std::string& name) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot = name.find('.'); dot != std::string::npos; start = dot + 1, dot = name.find('.', start)) {
    parts.push_back(name.substr(start, dot - start));
  }
  parts.push_back(name.substr(start));
  return parts;
}

}  // namespace gen
