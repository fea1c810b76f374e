#include "io/safetensors.h"

#include <nlohmann/json.hpp>

#include <set>

#include "util/errors.h"
#include "util/utf8.h"

namespace gen {

std::string safetensors_dtype(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat: return "F32";
    case torch::kDouble: return "F64";
    case torch::kHalf: return "F16";
    case torch::kBFloat16: return "BF16";
    case torch::kLong: return "I64";
    case torch::kInt: return "I32";
    case torch::kShort: return "I16";
    case torch::kChar: return "I8";
    case torch::kByte: return "U8";
    case torch::kBool: return "BOOL";
    default: return "";
  }
}

std::string safetensors_bytes(const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                              const std::vector<std::pair<std::string, std::string>>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [key, value] : metadata) meta[key] = to_valid_utf8(value);  // JSON strings are UTF-8
    header["__metadata__"] = meta;
  }
  std::vector<torch::Tensor> data;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__" || !names.insert(name).second) {
      throw IoError("safetensors: tensor name '" + name + "' given twice or reserved");
    }
    const std::string dtype = safetensors_dtype(tensor.scalar_type());
    if (dtype.empty()) {
      throw IoError("safetensors: tensor '" + name + "' has dtype " + std::string(c10::toString(tensor.scalar_type())) +
                    ", which the format cannot hold");
    }
    data.push_back(tensor.detach().to(torch::kCPU).contiguous());
    const uint64_t bytes = uint64_t(data.back().nbytes());
    header[name] = {{"dtype", dtype}, {"shape", tensor.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + json.size() + offset);
  for (int i = 0; i < 8; ++i) out.push_back(char((uint64_t(json.size()) >> (8 * i)) & 0xff));
  out += json;
  for (const torch::Tensor& t : data) out.append(static_cast<const char*>(t.data_ptr()), t.nbytes());
  return out;
}

}  // namespace gen
