#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "io/safetensors.h"
#include "util/errors.h"

namespace {
uint64_t header_length(const std::string& bytes) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | uint8_t(bytes[size_t(i)]);
  return n;
}
}  // namespace

TEST_CASE("safetensors: little-endian header length, JSON header, data back to back and 8-byte aligned", "[io]") {
  const torch::Tensor a = torch::arange(6, torch::kFloat).view({2, 3});
  const torch::Tensor b = torch::tensor({7, -8}, torch::kLong);
  const torch::Tensor strided = torch::arange(8, torch::kFloat).view({2, 4}).t();  // written as its contiguous copy
  const std::string bytes = gen::safetensors_bytes({{"a", a}, {"b", b}, {"t", strided}}, {{"format", "pt"}});
  const uint64_t n = header_length(bytes);
  REQUIRE(8 + n <= bytes.size());
  CHECK(n % 8 == 0);
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  CHECK(header["__metadata__"]["format"] == "pt");
  CHECK(header["a"]["dtype"] == "F32");
  CHECK(header["a"]["shape"] == nlohmann::json::array({2, 3}));
  CHECK(header["a"]["data_offsets"] == nlohmann::json::array({0, 24}));
  CHECK(header["b"]["dtype"] == "I64");
  CHECK(header["b"]["data_offsets"] == nlohmann::json::array({24, 40}));
  CHECK(header["t"]["shape"] == nlohmann::json::array({4, 2}));
  CHECK(bytes.size() == 8 + n + 24 + 16 + 32);
  const char* data = bytes.data() + 8 + n;
  CHECK(torch::equal(torch::from_blob(const_cast<char*>(data), {2, 3}, torch::kFloat), a));
  CHECK(torch::equal(torch::from_blob(const_cast<char*>(data) + 24, {2}, torch::kLong), b));
  CHECK(torch::equal(torch::from_blob(const_cast<char*>(data) + 40, {4, 2}, torch::kFloat), strided));
}

TEST_CASE("safetensors: a repeated name or a dtype the format cannot name is refused", "[io]") {
  const torch::Tensor a = torch::zeros({1});
  CHECK_THROWS_AS(gen::safetensors_bytes({{"a", a}, {"a", a}}, {}), gen::IoError);
  CHECK_THROWS_AS(gen::safetensors_bytes({{"__metadata__", a}}, {}), gen::IoError);
  CHECK_THROWS_WITH(gen::safetensors_bytes({{"c", torch::zeros({1}, torch::kComplexFloat)}}, {}),
                    Catch::Contains("'c'") && Catch::Contains("cannot hold"));
  CHECK(gen::safetensors_dtype(torch::kBFloat16) == "BF16");
}
