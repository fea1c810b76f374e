#include "cli/export_hf.h"

#include <nlohmann/json.hpp>

#include "cli/export_folder.h"
#include "core/tokenizer_json.h"
#include "io/safetensors.h"
#include "util/errors.h"

namespace gen {

namespace {

c10::IValue arg(const std::vector<std::pair<std::string, c10::IValue>>& args, const std::string& key) {
  for (const auto& [k, v] : args) {
    if (k == key) return v;
  }
  throw Error("export hf: the network has no argument " + key);
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// nanoGPT's state dict -> GPT2LMHeadModel's: Conv1D weights are Linear's transposed; every
// LayerNorm and projection has a bias.
NamedTensors gpt2_tensors(const NamedTensors& nanogpt) {
  NamedTensors out;
  for (const auto& [name, t] : nanogpt) {
    if (name == "lm_head.weight") continue;  // tied to transformer.wte.weight
    const bool conv1d = t.dim() == 2 && (ends_with(name, "c_attn.weight") || ends_with(name, "c_proj.weight") ||
                                         ends_with(name, "c_fc.weight"));
    out.emplace_back(name, conv1d ? t.t().contiguous() : t);
  }
  NamedTensors with_biases;
  for (size_t i = 0; i < out.size(); ++i) {
    with_biases.push_back(out[i]);
    const std::string& name = out[i].first;
    if (name.find("wte") != std::string::npos || name.find("wpe") != std::string::npos || !ends_with(name, ".weight")) {
      continue;
    }
    const std::string bias = name.substr(0, name.size() - 6) + "bias";
    const bool has_bias = i + 1 < out.size() && out[i + 1].first == bias;
    if (!has_bias) {
      const torch::Tensor& w = out[i].second;  // LayerNorm (C) or Conv1D (in, out): the bias has the last size
      with_biases.emplace_back(bias, torch::zeros({w.size(-1)}, w.options()));
    }
  }
  return with_biases;
}

std::string config_json(const ExportedNetwork& net) {
  const auto& a = net.args;
  const double dropout = arg(a, "dropout").toDouble();
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["architectures"] = {"GPT2LMHeadModel"};
  j["model_type"] = "gpt2";
  j["vocab_size"] = arg(a, "vocab_size").toInt();
  j["n_positions"] = arg(a, "block_size").toInt();
  j["n_embd"] = arg(a, "n_embd").toInt();
  j["n_layer"] = arg(a, "n_layer").toInt();
  j["n_head"] = arg(a, "n_head").toInt();
  j["n_inner"] = nullptr;  // 4 * n_embd
  j["activation_function"] = "gelu";  // erf GELU, as nanoGPT's nn.GELU(); GPT-2's own is "gelu_new"
  j["resid_pdrop"] = dropout;
  j["embd_pdrop"] = dropout;
  j["attn_pdrop"] = dropout;
  j["layer_norm_epsilon"] = 1e-5;
  j["initializer_range"] = 0.02;
  j["scale_attn_weights"] = true;
  j["use_cache"] = true;
  j["bos_token_id"] = nullptr;  // gen's vocabularies have no special tokens
  j["eos_token_id"] = nullptr;
  j["tie_word_embeddings"] = true;
  j["dtype"] = "float32";
  j["transformers_version"] = kTransformersVersion;
  return j.dump(2) + "\n";
}

std::string tokenizer_config_json(const ExportedNetwork& net) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["tokenizer_class"] = "PreTrainedTokenizerFast";
  j["model_max_length"] = arg(net.args, "block_size").toInt();
  j["clean_up_tokenization_spaces"] = false;
  return j.dump(2) + "\n";
}

}  // namespace

std::vector<std::string> write_hf_folder(const std::string& dir, const ExportedNetwork& net, const Tokenizer& tokenizer,
                                         std::vector<std::pair<std::string, std::string>> meta) {
  if (net.reference != "nanoGPT model.GPT") {
    throw UsageError("--format hf: writes Transformer language models (model.kind transformer); this checkpoint's "
                     "network " + net.name + " is not one");
  }
  check_new_folder(dir, "hf");
  meta.insert(meta.begin(), {"format", "pt"});  // what transformers' safetensors loader expects
  const FolderFiles files{{"config.json", config_json(net)},
                          {"model.safetensors", safetensors_bytes(gpt2_tensors(net.tensors), meta)},
                          {"tokenizer.json", tokenizer_json(tokenizer)},
                          {"tokenizer_config.json", tokenizer_config_json(net)}};
  return write_new_folder(dir, files);
}

}  // namespace gen
