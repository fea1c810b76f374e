// Text <-> token ids for the language models. `char`: one id per Unicode code point seen in
// the training text (sorted, so the ids are the same for the same text); `byte`: the 256 byte
// values, no vocabulary. The vocabulary travels in the checkpoint as its UTF-8 symbols.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gen {

class Tokenizer {
 public:
  // kind "char" builds the vocabulary from `text`; kind "byte" ignores it.
  static Tokenizer build(const std::string& kind, const std::string& text);
  // From what symbols() returned (checkpoint); "" with kind byte.
  static Tokenizer restore(const std::string& kind, const std::string& symbols);

  const std::string& kind() const { return kind_; }
  int64_t vocab_size() const;
  std::string symbols() const;  // the vocabulary, concatenated UTF-8
  // How many bytes of text each id stands for (UTF-8 length of a char; 1 for a byte), so that
  // a loss per token converts to bits per byte, comparable across tokenizers.
  std::vector<int64_t> token_bytes() const;

  // Throws DataError naming the characters that are not in a char vocabulary.
  std::vector<int64_t> encode(const std::string& text) const;
  std::string decode(const std::vector<int64_t>& ids) const;

 private:
  std::string kind_;
  std::vector<uint32_t> code_points_;  // char: id -> code point, sorted
};

}  // namespace gen
