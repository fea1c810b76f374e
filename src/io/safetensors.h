// The .safetensors format (huggingface/safetensors): an 8-byte little-endian header length N,
// N bytes of JSON -- "__metadata__" (string to string) and, per tensor, its dtype ("F32",
// "I64", ...), shape and [begin, end) byte offsets into the data that follows -- then the raw
// little-endian data of every tensor, back to back. The header is padded with spaces to a
// multiple of 8 so every tensor starts 8-byte aligned.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace gen {

// The file's bytes; tensors in the order given (any device or layout; written as contiguous
// CPU copies). Throws IoError for a repeated name or a dtype the format has no name for.
std::string safetensors_bytes(const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                              const std::vector<std::pair<std::string, std::string>>& metadata);

// The format's name of a dtype ("F32"); "" when it has none.
std::string safetensors_dtype(torch::ScalarType type);

}  // namespace gen
