// IDX files (the MNIST family's format), plain or gzip-compressed, parsed without LibTorch so
// the parser can be tested and fuzzed under sanitizers. Only unsigned-byte payloads (type 0x08)
// are supported, which is what MNIST and Fashion-MNIST use.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
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

// The whole size a file may have, told from the first bytes of its content (nullopt: more bytes needed).
using SizeFromPrefix = std::function<std::optional<uint64_t>(const std::vector<uint8_t>& prefix)>;

// Reads a whole file, transparently gunzipping, refusing more than max_bytes of output so a
// hostile compressed file cannot exhaust memory; `size_limit`, once the content's first bytes
// tell it, lowers that bound (an IDX header says how big its file is: a small .gz that inflates
// to gigabytes stops at the size its header claims, before the memory is taken).
std::vector<uint8_t> read_maybe_gzip(const std::string& path, uint64_t max_bytes,
                                     const SizeFromPrefix& size_limit = {});

struct IdxHeader {
  std::vector<int64_t> dims;
  uint64_t size = 0;        // bytes of the header itself
  uint64_t data_bytes = 0;  // bytes of data it describes (the product of dims)
};

// Checks the header at the start of BYTES (throws DataError as read_idx does). With `complete`
// false BYTES may be a prefix of the file: nullopt while the header is not all there yet.
std::optional<IdxHeader> parse_idx_header(const std::vector<uint8_t>& bytes, const std::string& origin, bool complete);

}  // namespace gen
