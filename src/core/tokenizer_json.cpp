#include "core/tokenizer_json.h"

#include <nlohmann/json.hpp>

#include "util/utf8.h"

namespace gen {

uint32_t byte_level_char(uint8_t b) {
  const auto printable = [](uint32_t c) { return (c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || c >= 0xAE; };
  if (printable(b)) return b;
  uint32_t n = 0;  // the others in byte order take U+0100, U+0101, ...
  for (uint32_t c = 0; c < b; ++c) n += printable(c) ? 0 : 1;
  return 256 + n;
}

std::string tokenizer_json(const Tokenizer& tokenizer) {
  using Json = nlohmann::ordered_json;
  const bool bytes = tokenizer.kind() == "byte";
  Json vocab = Json::object();
  if (bytes) {
    for (int b = 0; b < 256; ++b) vocab[utf8_encode(byte_level_char(uint8_t(b)))] = b;
  } else {
    int64_t id = 0;
    for (uint32_t cp : utf8_code_points(tokenizer.symbols())) vocab[utf8_encode(cp)] = id++;
  }
  const Json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false},
                           {"use_regex", false}};
  Json j = Json::object();
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  j["added_tokens"] = Json::array();
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = bytes ? byte_level : Json(nullptr);
  j["post_processor"] = nullptr;
  j["decoder"] = bytes ? byte_level : Json{{"type", "Fuse"}};
  j["model"] = {{"type", "BPE"},
                {"dropout", nullptr},
                {"unk_token", nullptr},
                {"continuing_subword_prefix", nullptr},
                {"end_of_word_suffix", nullptr},
                {"fuse_unk", false},
                {"byte_fallback", false},
                {"ignore_merges", false},
                {"vocab", vocab},
                {"merges", Json::array()}};
  return j.dump(2) + "\n";
}

}  // namespace gen
