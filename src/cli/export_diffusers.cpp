#include "cli/export_diffusers.h"

#include "cli/export_folder.h"
#include "io/safetensors.h"
#include "util/errors.h"

namespace gen {

nlohmann::ordered_json ivalue_json(const c10::IValue& v) {
  if (v.isBool()) return v.toBool();
  if (v.isInt()) return v.toInt();
  if (v.isDouble()) return v.toDouble();
  if (v.isList()) {
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const c10::IValue& item : v.toList()) items.push_back(ivalue_json(item));
    return items;
  }
  return v.toStringRef();
}

std::vector<std::string> diffusers_sampling_gaps(const std::vector<std::pair<std::string, std::string>>& settings) {
  std::string sampler, eta = "0";
  for (const auto& [key, value] : settings) {
    if (key == "sampler") sampler = value;
    if (key == "eta") eta = value;
  }
  if (eta == "0") return {};
  if (sampler == "euler") {
    return {"model.eta " + eta + ": gen's Euler steps add noise; diffusers' FlowMatchEulerDiscreteScheduler steps "
            "without it, as gen sample --eta 0 does"};
  }
  if (sampler == "ddim") return {"model.eta " + eta + ": pass eta=" + eta + " to DDIMPipeline (its default is 0)"};
  return {};
}

namespace {

std::string config_json(const std::string& class_name, const std::vector<std::pair<std::string, c10::IValue>>& args) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (!class_name.empty()) j["_class_name"] = class_name;
  j["_diffusers_version"] = kDiffusersVersion;
  for (const auto& [key, v] : args) j[key] = ivalue_json(v);
  return j.dump(2) + "\n";
}

}  // namespace

std::vector<std::string> write_diffusers_folder(const std::string& dir, const ExportedNetwork& net,
                            std::vector<std::pair<std::string, std::string>> meta) {
  if (net.reference != "diffusers UNet2DModel" || net.scheduler.empty()) {
    throw UsageError("--format diffusers: writes diffusion models (model.kind diffusion); this checkpoint's network " +
                     net.name + " is not one");
  }
  check_new_folder(dir, "diffusers");
  const c10::IValue* class_name = find_arg(net.scheduler, "_class_name");
  const std::string scheduler_class = class_name != nullptr && class_name->isString() ? class_name->toStringRef() : "";
  std::vector<std::pair<std::string, c10::IValue>> scheduler;
  for (const auto& item : net.scheduler) {
    if (item.first != "_class_name") scheduler.push_back(item);
  }
  const bool conditional = find_arg(net.args, "num_class_embeds") != nullptr;

  FolderFiles files{{"unet/config.json", config_json("UNet2DModel", net.args)}};
  meta.insert(meta.begin(), {"format", "pt"});  // what diffusers' safetensors loader expects
  files.emplace_back("unet/diffusion_pytorch_model.safetensors", safetensors_bytes(net.tensors, meta));
  files.emplace_back("scheduler/scheduler_config.json", config_json(scheduler_class, scheduler));
  if (!conditional && scheduler_class != "FlowMatchEulerDiscreteScheduler") {
    nlohmann::ordered_json index = nlohmann::ordered_json::object();
    index["_class_name"] = scheduler_class == "DDPMScheduler" ? "DDPMPipeline" : "DDIMPipeline";
    index["_diffusers_version"] = kDiffusersVersion;
    index["scheduler"] = {"diffusers", scheduler_class};
    index["unet"] = {"diffusers", "UNet2DModel"};
    files.emplace_back("model_index.json", index.dump(2) + "\n");
  }
  return write_new_folder(dir, files);
}

}  // namespace gen
