#include "cli/export_diffusers.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "io/safetensors.h"
#include "util/errors.h"
#include "util/fs.h"

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

namespace {

std::string config_json(const std::string& class_name, const std::vector<std::pair<std::string, c10::IValue>>& args) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (!class_name.empty()) j["_class_name"] = class_name;
  j["_diffusers_version"] = kDiffusersVersion;
  for (const auto& [key, v] : args) j[key] = ivalue_json(v);
  return j.dump(2) + "\n";
}

std::string string_arg(const std::vector<std::pair<std::string, c10::IValue>>& args, const std::string& key) {
  for (const auto& [k, v] : args) {
    if (k == key && v.isString()) return v.toStringRef();
  }
  return "";
}

}  // namespace

std::vector<std::string> write_diffusers_folder(const std::string& dir, const ExportedNetwork& net,
                            std::vector<std::pair<std::string, std::string>> meta) {
  if (net.reference != "diffusers UNet2DModel" || net.scheduler.empty()) {
    throw UsageError("--format diffusers: writes diffusion models (model.kind diffusion); this checkpoint's network " +
                     net.name + " is not one");
  }
  if (path_exists(dir) && (!is_directory(dir) || !list_folder(dir).empty())) {
    throw UsageError("--out " + dir + ": --format diffusers writes a new folder; this one exists and is not empty");
  }
  const std::string scheduler_class = string_arg(net.scheduler, "_class_name");
  std::vector<std::pair<std::string, c10::IValue>> scheduler;
  for (const auto& item : net.scheduler) {
    if (item.first != "_class_name") scheduler.push_back(item);
  }
  bool conditional = false;
  for (const auto& [key, v] : net.args) conditional = conditional || key == "num_class_embeds";

  const std::string tmp = (dir.empty() || dir.back() != '/' ? dir : dir.substr(0, dir.size() - 1)) + ".partial-" +
                          std::to_string(::getpid());
  std::vector<std::string> files{"unet/config.json", "unet/diffusion_pytorch_model.safetensors",
                                  "scheduler/scheduler_config.json"};
  remove_tree(tmp);
  try {
    make_dirs(tmp + "/unet");
    make_dirs(tmp + "/scheduler");
    write_file_atomic(tmp + "/unet/config.json", config_json("UNet2DModel", net.args));
    meta.insert(meta.begin(), {"format", "pt"});  // what diffusers' safetensors loader expects
    write_file_atomic(tmp + "/unet/diffusion_pytorch_model.safetensors", safetensors_bytes(net.tensors, meta));
    write_file_atomic(tmp + "/scheduler/scheduler_config.json", config_json(scheduler_class, scheduler));
    if (!conditional && scheduler_class != "FlowMatchEulerDiscreteScheduler") {
      nlohmann::ordered_json index = nlohmann::ordered_json::object();
      index["_class_name"] = scheduler_class == "DDPMScheduler" ? "DDPMPipeline" : "DDIMPipeline";
      index["_diffusers_version"] = kDiffusersVersion;
      index["scheduler"] = {"diffusers", scheduler_class};
      index["unet"] = {"diffusers", "UNet2DModel"};
      write_file_atomic(tmp + "/model_index.json", index.dump(2) + "\n");
      files.emplace_back("model_index.json");
    }
    if (path_exists(dir)) ::rmdir(dir.c_str());  // empty (checked above): rename takes its place
    if (std::rename(tmp.c_str(), dir.c_str()) != 0) {
      throw IoError(dir + ": cannot move the finished folder into place: " + std::strerror(errno));
    }
  } catch (...) {
    remove_tree(tmp);
    throw;
  }
  return files;
}

}  // namespace gen
