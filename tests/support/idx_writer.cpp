#include "support/idx_writer.h"

#include <zlib.h>

#include <cstdio>
#include <stdexcept>

namespace gen::test {

std::vector<uint8_t> idx_bytes(const std::vector<int64_t>& dims, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (int64_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>((d >> shift) & 0xff));
  }
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes, bool gzip) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    if (!f) throw std::runtime_error("cannot write " + path);
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
    return;
  }
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

void write_tiny_mnist(const std::string& dir, int64_t n, int64_t size) {
  for (const char* split : {"train", "t10k"}) {
    std::vector<uint8_t> images(size_t(n * size * size), 0);
    std::vector<uint8_t> labels(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const int64_t label = i % 10;
      labels[size_t(i)] = static_cast<uint8_t>(label);
      const int64_t col = 1 + label * (size - 2) / 10;  // a vertical bar, 2 px wide
      for (int64_t r = 2; r < size - 2; ++r) {
        for (int64_t c = col; c < col + 2 && c < size; ++c) images[size_t((i * size + r) * size + c)] = 255;
      }
    }
    const std::string prefix = dir + "/" + split;
    write_bytes(prefix + "-images-idx3-ubyte.gz", idx_bytes({n, size, size}, images), true);
    write_bytes(prefix + "-labels-idx1-ubyte.gz", idx_bytes({n}, labels), true);
  }
}

}  // namespace gen::test
