// IDX files (the MNIST family's format), plain or gzip-compressed, parsed without LibTorch so
// the parser can be tested and fuzzed under sanitizers. Only unsigned-byte payloads (type 0x08)
// are supported, which is what MNIST and Fashion-MNIST use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gen {

struct IdxArray {
  std::vector<int64_t> dims;  // e.g. {60000, 28, 28} for images, {60000} for labels
  std::vector<uint8_t> data;  // row-major, size = product of dims
};

// Reads PATH (gzip is detected from the content, not the name). Throws DataError naming the
// file and what is wrong: missing, not IDX, unsupported type, truncated, or trailing bytes.
IdxArray read_idx(const std::string& path);

// Parses IDX bytes already in memory; `origin` names them in errors.
IdxArray parse_idx(const std::vector<uint8_t>& bytes, const std::string& origin);

// Reads a whole file, transparently gunzipping, refusing more than max_bytes of output so a
// hostile compressed file cannot exhaust memory.
std::vector<uint8_t> read_maybe_gzip(const std::string& path, uint64_t max_bytes);

}  // namespace gen
