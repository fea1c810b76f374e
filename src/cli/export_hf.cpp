#include "cli/export_hf.h"

#include <nlohmann/json.hpp>
#include <set>

#include "cli/export_folder.h"
#include "core/tokenizer_json.h"
#include "io/safetensors.h"
#include "util/errors.h"

namespace gen {

namespace {

const c10::IValue& arg(const std::vector<std::pair<std::string, c10::IValue>>& args, const std::string& key) {
  const c10::IValue* v = find_arg(args, key);
  if (v == nullptr) throw Error("export hf: the network has no argument " + key);
  return *v;
}

// nanoGPT's state dict -> GPT2LMHeadModel's: Conv1D weights are Linear's transposed; every
// LayerNorm and projection has a bias (zeros where gen has none: model.bias false).
NamedTensors gpt2_tensors(const NamedTensors& nanogpt) {
  std::set<std::string> names;
  for (const auto& item : nanogpt) names.insert(item.first);
  NamedTensors out;
  for (const auto& [name, t] : nanogpt) {
    if (name == "lm_head.weight") continue;  // tied to transformer.wte.weight
    const bool embedding = name.rfind("transformer.wte.", 0) == 0 || name.rfind("transformer.wpe.", 0) == 0;
    const bool conv1d = t.dim() == 2 && !embedding;
    out.emplace_back(name, conv1d ? t.t().contiguous() : t);
    const std::string stem = name.size() > 7 ? name.substr(0, name.size() - 7) : "";  // without ".weight"
    if (!embedding && stem + ".weight" == name && names.count(stem + ".bias") == 0) {
      out.emplace_back(stem + ".bias", torch::zeros({out.back().second.size(-1)}, t.options()));  // (C) or (in, out)
    }
  }
  return out;
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

std::vector<std::string> write_hf_folder(const std::string& dir, const ExportedNetwork& net, const TextVocab& text,
                                         std::vector<std::pair<std::string, std::string>> meta) {
  if (net.reference != "nanoGPT model.GPT") {
    throw UsageError("--format hf: writes Transformer language models (model.kind transformer); this checkpoint's "
                     "network " + net.name + " is not one");
  }
  check_new_folder(dir, "hf");
  meta.insert(meta.begin(), {"format", "pt"});  // what transformers' safetensors loader expects
  const FolderFiles files{{"config.json", config_json(net)},
                          {"model.safetensors", safetensors_bytes(gpt2_tensors(net.tensors), meta)},
                          {"tokenizer.json", tokenizer_json(Tokenizer::restore(text.tokenizer, text.vocabulary))},
                          {"tokenizer_config.json", tokenizer_config_json(net)}};
  return write_new_folder(dir, files);
}

}  // namespace gen
