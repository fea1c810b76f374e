// data.tokenizer char: one id per Unicode code point of the training text, sorted, so the
// same text gives the same ids.
#include <algorithm>
#include <set>

#include "core/tokenizer_impl.h"
#include "util/errors.h"
#include "util/utf8.h"

namespace gen {
namespace {

class CharTokenizer final : public TokenizerImpl {
 public:
  explicit CharTokenizer(const std::string& text) {
    const auto cps = utf8_code_points(text);
    const std::set<uint32_t> unique(cps.begin(), cps.end());
    code_points_.assign(unique.begin(), unique.end());
    for (uint32_t cp : code_points_) symbols_ += utf8_encode(cp);
  }

  const std::string& name() const override { return name_; }
  int64_t vocab_size() const override { return static_cast<int64_t>(code_points_.size()); }
  const std::string& symbols() const override { return symbols_; }

  std::vector<int64_t> token_bytes() const override {
    std::vector<int64_t> bytes;
    for (uint32_t cp : code_points_) bytes.push_back(static_cast<int64_t>(utf8_encode(cp).size()));
    return bytes;
  }

  // After the last newline: a newline is one whole character, and ends the text's lines.
  size_t safe_cut(std::string_view text) const override {
    const size_t nl = text.rfind('\n');
    return nl == std::string_view::npos ? 0 : nl + 1;
  }

  void encode_part(std::string_view text, bool, std::vector<int64_t>& out) const override {
    std::string unknown;
    for (uint32_t cp : utf8_code_points(std::string(text))) {
      const auto it = std::lower_bound(code_points_.begin(), code_points_.end(), cp);
      if (it == code_points_.end() || *it != cp) {
        const std::string sym = utf8_encode(cp);
        if (unknown.find("'" + sym + "'") == std::string::npos) unknown += (unknown.empty() ? "'" : ", '") + sym + "'";
        continue;
      }
      out.push_back(it - code_points_.begin());
    }
    if (!unknown.empty()) {
      throw DataError("characters not in the model's vocabulary: " + unknown +
                      " (the char tokenizer knows only characters of its training text)");
    }
  }

  std::string decode(const std::vector<int64_t>& ids) const override {
    std::string out;
    for (int64_t id : ids) {
      if (id >= 0 && id < vocab_size()) out += utf8_encode(code_points_[size_t(id)]);
    }
    return out;
  }

 private:
  const std::string name_ = "char";
  std::vector<uint32_t> code_points_;  // id -> code point, sorted
  std::string symbols_;                // the vocabulary as concatenated UTF-8 (the checkpoint's form)
};

}  // namespace

std::shared_ptr<const TokenizerImpl> char_tokenizer(const std::string& text) {
  return std::make_shared<const CharTokenizer>(text);
}

}  // namespace gen
