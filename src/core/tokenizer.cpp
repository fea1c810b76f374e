#include "core/tokenizer.h"

#include "util/errors.h"

namespace gen {

Tokenizer Tokenizer::build(const std::string& kind, const std::string& text) {
  if (kind == "char") return Tokenizer(char_tokenizer(text));
  if (kind == "byte") return Tokenizer(byte_tokenizer());
  throw ConfigError("data.tokenizer: expected char, byte or file, got '" + kind + "'");
}

Tokenizer Tokenizer::from_json(const std::string& json, const std::string& where) {
  return Tokenizer(bpe_tokenizer(json, where));
}

Tokenizer Tokenizer::restore(const std::string& kind, const std::string& symbols) {
  if (kind == "file") return from_json(symbols, "the checkpoint's tokenizer");
  return build(kind, symbols);
}

std::vector<int64_t> Tokenizer::encode(const std::string& text) const {
  std::vector<int64_t> ids;
  impl_->encode_part(text, /*at_start=*/true, ids);
  return ids;
}

}  // namespace gen
