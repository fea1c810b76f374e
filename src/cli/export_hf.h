// gen export --format hf: a Transformer as the folder transformers' from_pretrained reads (the
// layout of the Hub's gpt2 repository):
//   config.json             GPT2Config ("architectures": ["GPT2LMHeadModel"], exact-erf "gelu")
//   model.safetensors       GPT2LMHeadModel's state dict: nanoGPT's names, the Linear weights of
//                           c_attn, c_proj and c_fc transposed into Conv1D's (in, out), zero
//                           biases where gen has none (GPT-2 always has them), lm_head tied to
//                           transformer.wte (not stored)
//   tokenizer.json          the model's tokenizer: its BPE, or char/byte as a BPE without
//                           merges (core/tokenizer_json.h)
//   tokenizer_config.json   PreTrainedTokenizerFast with model_max_length = block_size
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/data_spec.h"
#include "models/exported_network.h"

namespace gen {

// The transformers version whose loaders gen's interop test checks these files with.
inline constexpr const char* kTransformersVersion = "5.24.0";

// Writes the folder `dir` whole or not at all (cli/export_folder.h). Throws UsageError when
// `net` is not a nanoGPT GPT. `text`: the checkpoint's tokenizer and vocabulary. `meta`:
// safetensors string metadata. Returns the files written.
std::vector<std::string> write_hf_folder(const std::string& dir, const ExportedNetwork& net, const TextVocab& text,
                                         std::vector<std::pair<std::string, std::string>> meta);

}  // namespace gen
