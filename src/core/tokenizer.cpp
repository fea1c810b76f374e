#include "core/tokenizer.h"

#include <algorithm>
#include <set>

#include "core/byte_level.h"
#include "core/tokenizer_json.h"
#include "util/errors.h"
#include "util/utf8.h"

namespace gen {

Tokenizer Tokenizer::build(const std::string& kind, const std::string& text) {
  Tokenizer t;
  t.kind_ = kind;
  if (kind == "char") {
    const auto cps = utf8_code_points(text);
    const std::set<uint32_t> unique(cps.begin(), cps.end());
    t.code_points_.assign(unique.begin(), unique.end());
  } else if (kind != "byte") {
    throw ConfigError("data.tokenizer: expected char, byte or file, got '" + kind + "'");
  }
  return t;
}

Tokenizer Tokenizer::from_json(const std::string& json, const std::string& where) {
  Tokenizer t;
  t.kind_ = "file";
  t.bpe_ = std::make_shared<const BpeTokenizer>(read_bpe_tokenizer_json(json, where), where);
  return t;
}

Tokenizer Tokenizer::restore(const std::string& kind, const std::string& symbols) {
  if (kind == "file") return from_json(symbols, "the checkpoint's tokenizer");
  return build(kind, symbols);
}

int64_t Tokenizer::vocab_size() const {
  if (bpe_) return bpe_->vocab_size();
  return kind_ == "byte" ? 256 : static_cast<int64_t>(code_points_.size());
}

std::string Tokenizer::symbols() const {
  if (bpe_) return bpe_tokenizer_json(bpe_->model(), -1);
  std::string out;
  for (uint32_t cp : code_points_) out += utf8_encode(cp);
  return out;
}

std::vector<int64_t> Tokenizer::token_bytes() const {
  if (kind_ == "byte") return std::vector<int64_t>(256, 1);
  std::vector<int64_t> bytes;
  if (bpe_) {
    for (const std::string& t : bpe_->token_text()) bytes.push_back(static_cast<int64_t>(t.size()));
    return bytes;
  }
  for (uint32_t cp : code_points_) bytes.push_back(static_cast<int64_t>(utf8_encode(cp).size()));
  return bytes;
}

std::vector<int64_t> Tokenizer::encode(const std::string& text) const {
  if (bpe_) return bpe_->encode(text);
  std::vector<int64_t> ids;
  if (kind_ == "byte") {
    for (unsigned char c : text) ids.push_back(c);
    return ids;
  }
  std::string unknown;
  for (uint32_t cp : utf8_code_points(text)) {
    const auto it = std::lower_bound(code_points_.begin(), code_points_.end(), cp);
    if (it == code_points_.end() || *it != cp) {
      const std::string sym = utf8_encode(cp);
      if (unknown.find("'" + sym + "'") == std::string::npos) unknown += (unknown.empty() ? "'" : ", '") + sym + "'";
      continue;
    }
    ids.push_back(it - code_points_.begin());
  }
  if (!unknown.empty()) {
    throw DataError("characters not in the model's vocabulary: " + unknown +
                    " (the char tokenizer knows only characters of its training text)");
  }
  return ids;
}

size_t Tokenizer::safe_cut(std::string_view text) const {
  if (bpe_) return bpe_->model().use_regex ? gpt2_safe_cut(text) : 0;
  if (kind_ == "byte") return text.size();
  // char: after the last complete UTF-8 character (a newline is one, and ends the text's lines).
  const size_t nl = text.rfind('\n');
  return nl == std::string_view::npos ? 0 : nl + 1;
}

void Tokenizer::encode_part(std::string_view text, bool at_start, std::vector<int64_t>& out) const {
  if (bpe_) {
    bpe_->encode_into(text, out, at_start);
    return;
  }
  if (kind_ == "byte") {
    for (unsigned char c : text) out.push_back(c);
    return;
  }
  const std::vector<int64_t> ids = encode(std::string(text));
  out.insert(out.end(), ids.begin(), ids.end());
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids) const {
  if (bpe_) return bpe_->decode(ids);
  std::string out;
  for (int64_t id : ids) {
    if (kind_ == "byte") {
      out += char(static_cast<unsigned char>(id));
    } else if (id >= 0 && id < vocab_size()) {
      out += utf8_encode(code_points_[size_t(id)]);
    }
  }
  return out;
}

}  // namespace gen
