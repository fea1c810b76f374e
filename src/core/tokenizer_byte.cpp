// data.tokenizer byte: the 256 byte values are the ids; no vocabulary to keep.
#include "core/tokenizer_impl.h"

namespace gen {
namespace {

class ByteTokenizer final : public TokenizerImpl {
 public:
  const std::string& name() const override { return name_; }
  int64_t vocab_size() const override { return 256; }
  const std::string& symbols() const override { return symbols_; }
  std::vector<int64_t> token_bytes() const override { return std::vector<int64_t>(256, 1); }
  size_t safe_cut(std::string_view text) const override { return text.size(); }
  void encode_part(std::string_view text, bool, std::vector<int64_t>& out) const override {
    for (unsigned char c : text) out.push_back(c);
  }
  std::string decode(const std::vector<int64_t>& ids) const override {
    std::string out;
    for (int64_t id : ids) out += char(static_cast<unsigned char>(id));
    return out;
  }

 private:
  const std::string name_ = "byte", symbols_;
};

}  // namespace

std::shared_ptr<const TokenizerImpl> byte_tokenizer() {
  static const auto shared = std::make_shared<const ByteTokenizer>();
  return shared;
}

}  // namespace gen
