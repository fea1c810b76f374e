// data.tokenizer file: a byte-level BPE read from a tokenizer.json (core/bpe.h). Its checkpoint
// form is the tokenizer.json on one line, written once here (a large vocabulary takes
// milliseconds to serialize, and the loaders and each checkpoint ask for it).
#include "core/byte_level.h"
#include "core/tokenizer_json.h"
#include "core/tokenizer_impl.h"

namespace gen {
namespace {

class BpeFileTokenizer final : public TokenizerImpl {
 public:
  BpeFileTokenizer(const std::string& json, const std::string& where)
      : bpe_(read_bpe_tokenizer_json(json, where), where), symbols_(bpe_tokenizer_json(bpe_.model(), -1)) {}

  const std::string& name() const override { return name_; }
  int64_t vocab_size() const override { return bpe_.vocab_size(); }
  const std::string& symbols() const override { return symbols_; }
  const BpeTokenizer* bpe() const override { return &bpe_; }
  std::vector<int64_t> token_bytes() const override {
    std::vector<int64_t> bytes;
    for (const std::string& t : bpe_.token_text()) bytes.push_back(static_cast<int64_t>(t.size()));
    return bytes;
  }
  // Without the regex split the whole text is one piece: no cut is safe.
  size_t safe_cut(std::string_view text) const override { return bpe_.model().use_regex ? gpt2_safe_cut(text) : 0; }
  void encode_part(std::string_view text, bool at_start, std::vector<int64_t>& out) const override {
    bpe_.encode_into(text, out, at_start);
  }
  std::string decode(const std::vector<int64_t>& ids) const override { return bpe_.decode(ids); }

 private:
  const std::string name_ = "file";
  BpeTokenizer bpe_;
  std::string symbols_;
};

}  // namespace

std::shared_ptr<const TokenizerImpl> bpe_tokenizer(const std::string& json, const std::string& where) {
  return std::make_shared<const BpeFileTokenizer>(json, where);
}

}  // namespace gen
