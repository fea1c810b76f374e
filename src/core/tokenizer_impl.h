// What each data.tokenizer kind implements behind core/tokenizer.h's Tokenizer: one class per
// kind (core/tokenizer_char.cpp, tokenizer_byte.cpp, tokenizer_bpe.cpp), each made by its
// factory below; Tokenizer picks one by name and holds it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/bpe.h"

namespace gen {

class TokenizerImpl {
 public:
  virtual ~TokenizerImpl() = default;
  virtual const std::string& name() const = 0;
  virtual int64_t vocab_size() const = 0;
  virtual const std::string& symbols() const = 0;
  virtual const BpeTokenizer* bpe() const { return nullptr; }
  virtual std::vector<int64_t> token_bytes() const = 0;
  virtual size_t safe_cut(std::string_view text) const = 0;
  virtual void encode_part(std::string_view text, bool at_start, std::vector<int64_t>& out) const = 0;
  virtual std::string decode(const std::vector<int64_t>& ids) const = 0;
};

// char: the code points of `text`, sorted.
std::shared_ptr<const TokenizerImpl> char_tokenizer(const std::string& text);
std::shared_ptr<const TokenizerImpl> byte_tokenizer();
// file: a byte-level BPE tokenizer.json; `where` names it in errors.
std::shared_ptr<const TokenizerImpl> bpe_tokenizer(const std::string& json, const std::string& where);

}  // namespace gen
