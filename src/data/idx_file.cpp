#include "data/idx_file.h"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <memory>

#include "util/errors.h"
#include "util/input_file.h"
#include "util/memory.h"

namespace gen {

namespace {
constexpr uint64_t kMaxIdxBytes = uint64_t(4) << 30;  // larger than any IDX data set in use
constexpr uint8_t kTypeUnsignedByte = 0x08;
}  // namespace

std::vector<uint8_t> read_maybe_gzip(const std::string& path, uint64_t max_bytes, const SizeFromPrefix& size_limit) {
  std::optional<InputFile> input;  // a regular file only: a FIFO would hang gzread, a device never end
  try {
    input.emplace(path);
  } catch (const IoError& e) {
    throw DataError(e.what());
  }
  const int fd = ::dup(input->fd());  // gzclose closes the descriptor it was given
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(fd < 0 ? nullptr : gzdopen(fd, "rb"), &gzclose);
  if (!file) {
    if (fd >= 0) ::close(fd);
    throw DataError(path + ": cannot open file");
  }
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(1 << 20);
  bool limited = false;  // max_bytes comes from the content's own header
  for (;;) {
    const int got = gzread(file.get(), chunk.data(), static_cast<unsigned>(chunk.size()));
    if (got < 0) {
      int code = 0;
      const char* msg = gzerror(file.get(), &code);
      throw DataError(path + ": cannot decompress: " + (msg ? msg : "zlib error"));
    }
    if (got == 0) break;
    if (out.size() + uint64_t(got) > max_bytes) {
      throw DataError(path + (limited ? ": holds more than the " + std::to_string(max_bytes) +
                                            " bytes its header describes (after decompression)"
                                      : ": larger than " + std::to_string(max_bytes >> 20) + " MiB"));
    }
    out.insert(out.end(), chunk.begin(), chunk.begin() + got);
    if (!limited && size_limit) {
      if (const std::optional<uint64_t> n = size_limit(out)) {
        limited = true;
        max_bytes = std::min(max_bytes, *n);
        if (out.size() > max_bytes) {
          throw DataError(path + ": holds more than the " + std::to_string(max_bytes) +
                          " bytes its header describes (after decompression)");
        }
        out.reserve(size_t(max_bytes));
      }
    }
  }
  // gzread stops quietly at a cut-off gzip stream; gzerror tells the difference.
  int code = 0;
  gzerror(file.get(), &code);
  if (code != Z_OK && code != Z_STREAM_END) {
    throw DataError(path + ": gzip stream is truncated or corrupt");
  }
  return out;
}

std::optional<IdxHeader> parse_idx_header(const std::vector<uint8_t>& bytes, const std::string& origin, bool complete) {
  if (bytes.size() < 4) {
    if (!complete) return std::nullopt;
    throw DataError(origin + ": not an IDX file (only " + std::to_string(bytes.size()) +
                    " bytes, a header needs at least 4)");
  }
  if (bytes[0] != 0 || bytes[1] != 0) {
    throw DataError(origin + ": not an IDX file (magic must start with two zero bytes)");
  }
  if (bytes[2] != kTypeUnsignedByte) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", bytes[2]);
    throw DataError(origin + ": IDX element type " + buf + " is not supported (expected 0x08, unsigned byte)");
  }
  const int ndims = bytes[3];
  if (ndims < 1 || ndims > 4) {
    throw DataError(origin + ": IDX header has " + std::to_string(ndims) + " dimensions (expected 1 to 4)");
  }
  IdxHeader h;
  h.size = 4 + 4 * uint64_t(ndims);
  if (bytes.size() < h.size) {
    if (!complete) return std::nullopt;
    throw DataError(origin + ": truncated IDX header");
  }
  uint64_t count = 1;
  for (int i = 0; i < ndims; ++i) {
    const uint8_t* p = &bytes[4 + 4 * size_t(i)];
    const uint64_t d = (uint64_t(p[0]) << 24) | (uint64_t(p[1]) << 16) | (uint64_t(p[2]) << 8) | p[3];
    if (d == 0) throw DataError(origin + ": IDX dimension " + std::to_string(i) + " is zero");
    count *= d;  // each d < 2^32 and ndims <= 4, but the product can still exceed any file
    if (count > kMaxIdxBytes) throw DataError(origin + ": IDX header claims an absurd size");
    h.dims.push_back(int64_t(d));
  }
  h.data_bytes = count;
  return h;
}

IdxArray parse_idx(const std::vector<uint8_t>& bytes, const std::string& origin) {
  const IdxHeader h = *parse_idx_header(bytes, origin, /*complete=*/true);
  const size_t header = size_t(h.size);
  const uint64_t count = h.data_bytes;
  IdxArray out;
  out.dims = h.dims;
  const uint64_t have = bytes.size() - header;
  if (have < count) {
    throw DataError(origin + ": truncated: header says " + std::to_string(count) + " bytes of data, file has " +
                    std::to_string(have));
  }
  if (have > count) {
    throw DataError(origin + ": " + std::to_string(have - count) +
                    " unexpected bytes after the data the header describes");
  }
  out.data.assign(bytes.begin() + std::ptrdiff_t(header), bytes.end());
  return out;
}

IdxArray read_idx(const std::string& path) {
  auto limit = [&path](const std::vector<uint8_t>& prefix) -> std::optional<uint64_t> {
    const auto h = parse_idx_header(prefix, path, /*complete=*/false);
    if (!h) return std::nullopt;
    // The bytes, then the same again as a tensor: refused before either is allocated.
    if (const std::string short_of = memory_shortfall(2 * h->data_bytes); !short_of.empty()) {
      throw DataError(path + ": its " + format_bytes(h->data_bytes) + " of data " + short_of);
    }
    return h->size + h->data_bytes;
  };
  return parse_idx(read_maybe_gzip(path, kMaxIdxBytes + 64, limit), path);
}

}  // namespace gen
