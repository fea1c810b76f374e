#include "core/tokenizer.h"

#include <algorithm>
#include <set>

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
    throw ConfigError("data.tokenizer: expected char or byte, got '" + kind + "'");
  }
  return t;
}

Tokenizer Tokenizer::restore(const std::string& kind, const std::string& symbols) { return build(kind, symbols); }

int64_t Tokenizer::vocab_size() const { return kind_ == "byte" ? 256 : static_cast<int64_t>(code_points_.size()); }

std::string Tokenizer::symbols() const {
  std::string out;
  for (uint32_t cp : code_points_) out += utf8_encode(cp);
  return out;
}

std::vector<int64_t> Tokenizer::token_bytes() const {
  if (kind_ == "byte") return std::vector<int64_t>(256, 1);
  std::vector<int64_t> bytes;
  for (uint32_t cp : code_points_) bytes.push_back(static_cast<int64_t>(utf8_encode(cp).size()));
  return bytes;
}

std::vector<int64_t> Tokenizer::encode(const std::string& text) const {
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

std::string Tokenizer::decode(const std::vector<int64_t>& ids) const {
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
