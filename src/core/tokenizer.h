// Text <-> token ids for the language models. `char`: one id per Unicode code point seen in
// the training text (sorted, so the ids are the same for the same text); `byte`: the 256 byte
// values, no vocabulary; `file`: a byte-level BPE read from a tokenizer.json (core/bpe.h).
// The vocabulary travels in the checkpoint: the char symbols as UTF-8, a BPE as its
// tokenizer.json on one line. Each kind is one class behind core/tokenizer_impl.h; a
// Tokenizer is a cheap copy of a shared, immutable one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bpe.h"
#include "core/tokenizer_impl.h"

namespace gen {

class Tokenizer {
 public:
  // kind "char" builds the vocabulary from `text`; kind "byte" ignores it (kind file: from_json).
  static Tokenizer build(const std::string& kind, const std::string& text);
  // A byte-level BPE tokenizer.json's text; `where` names it in errors (DataError).
  static Tokenizer from_json(const std::string& json, const std::string& where);
  // From what symbols() returned (checkpoint); "" with kind byte.
  static Tokenizer restore(const std::string& kind, const std::string& symbols);

  const std::string& kind() const { return impl_->name(); }
  int64_t vocab_size() const { return impl_->vocab_size(); }
  // char: the vocabulary, concatenated UTF-8; file: tokenizer.json; byte: "".
  const std::string& symbols() const { return impl_->symbols(); }
  const BpeTokenizer* bpe() const { return impl_->bpe(); }  // kind file, else null
  // How many bytes of text each id stands for (UTF-8 length of a char; 1 for a byte), so that
  // a loss per token converts to bits per byte, comparable across tokenizers.
  std::vector<int64_t> token_bytes() const { return impl_->token_bytes(); }

  // Throws DataError naming the characters that are not in a char vocabulary.
  std::vector<int64_t> encode(const std::string& text) const;
  // Where a long text may be cut to be encoded in parts with the same ids: the largest offset
  // in (0, size] that is safe, or 0 for none yet (a BPE without a regex split: never).
  size_t safe_cut(std::string_view text) const { return impl_->safe_cut(text); }
  // Appends the ids of one such part; `at_start` false for the parts after the first.
  void encode_part(std::string_view text, bool at_start, std::vector<int64_t>& out) const {
    impl_->encode_part(text, at_start, out);
  }
  std::string decode(const std::vector<int64_t>& ids) const { return impl_->decode(ids); }

 private:
  explicit Tokenizer(std::shared_ptr<const TokenizerImpl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const TokenizerImpl> impl_;
};

}  // namespace gen
