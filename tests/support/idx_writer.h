// Test data made by the tests themselves: IDX files (plain or gzip) and tiny MNIST-like sets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gen::test {

std::vector<uint8_t> idx_bytes(const std::vector<int64_t>& dims, const std::vector<uint8_t>& data);
void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes, bool gzip);

// N images of size x size in MNIST's layout under DIR (train-* and t10k-* .gz files): each
// image is a bright bar whose position encodes its label (0..9), so the set is learnable.
void write_tiny_mnist(const std::string& dir, int64_t n, int64_t size);

}  // namespace gen::test
