#include "core/tokenizer.h"

#include <algorithm>
#include <set>

#include "util/errors.h"

namespace gen {

std::vector<uint32_t> utf8_decode(const std::string& text) {
  std::vector<uint32_t> out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    bool ok = len > 0 && i + size_t(len) <= n;
    for (int k = 1; ok && k < len; ++k) {
      ok = (s[i + size_t(k)] & 0xC0) == 0x80;
      cp = (cp << 6) | (s[i + size_t(k)] & 0x3F);
    }
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += size_t(len);
  }
  return out;
}

std::string utf8_encode(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
  return out;
}

Tokenizer Tokenizer::build(const std::string& kind, const std::string& text) {
  Tokenizer t;
  t.kind_ = kind;
  if (kind == "char") {
    const auto cps = utf8_decode(text);
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

std::vector<int64_t> Tokenizer::encode(const std::string& text) const {
  std::vector<int64_t> ids;
  if (kind_ == "byte") {
    for (unsigned char c : text) ids.push_back(c);
    return ids;
  }
  std::string unknown;
  for (uint32_t cp : utf8_decode(text)) {
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
