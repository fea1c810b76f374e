// A byte-level BPE tokenizer (GPT-2's kind), encoding as the tokenizers library does: text is
// split at its added tokens, the rest cut by GPT-2's regex (core/byte_level.h), each piece's
// bytes start as one token each and merge, lowest merge rank first (leftmost on a tie), until
// no listed merge applies. Read from and written as tokenizer.json (core/tokenizer_json.h),
// trained by core/bpe_trainer.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gen {

struct AddedToken {
  int32_t id = 0;
  std::string content;  // matched verbatim in the input text
  bool special = true;
};

// What a byte-level BPE tokenizer.json says, checked by BpeTokenizer's constructor.
struct BpeModel {
  std::vector<std::string> tokens;                    // id -> token in byte-level characters
  std::vector<std::pair<int32_t, int32_t>> merges;    // in rank order: the ids of the two parts
  std::vector<AddedToken> added;                      // tokens matched before the regex split
  bool add_prefix_space = false;                      // ByteLevel: a space before the text
  bool use_regex = true;                              // ByteLevel: split by GPT-2's regex
  bool ignore_merges = false;                         // a piece that is a token stays whole
};

class BpeTokenizer {
 public:
  // Throws DataError (naming `where`) for a model that is not a usable byte-level BPE: a byte
  // without a token, a merge whose result is not in the vocabulary, duplicate tokens.
  BpeTokenizer(BpeModel model, const std::string& where);

  const BpeModel& model() const { return model_; }
  int64_t vocab_size() const { return static_cast<int64_t>(model_.tokens.size()); }
  // Bytes of text each id decodes to (an added token: its content).
  const std::vector<std::string>& token_text() const { return token_text_; }

  std::vector<int64_t> encode(std::string_view text) const;
  // Appends the ids of TEXT to OUT. A long text may be encoded in parts cut where no piece
  // crosses (core/byte_level.h gpt2_safe_cut): `at_start` false for the parts after the first,
  // which get no prefix space.
  void encode_into(std::string_view text, std::vector<int64_t>& out, bool at_start = true) const;
  std::string decode(const std::vector<int64_t>& ids) const;  // ids outside the vocabulary are skipped

 private:
  using PieceCache = std::unordered_map<std::string, std::vector<int32_t>>;
  void encode_piece(std::string_view piece, std::vector<int64_t>& out) const;
  void encode_plain(std::string_view text, bool prefix, PieceCache& cache, std::vector<int64_t>& out) const;

  BpeModel model_;
  std::vector<std::string> token_text_;
  std::unordered_map<std::string, int32_t> ids_;             // byte-level token -> id
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merge_of_;  // (left, right) -> (rank, id)
  int32_t byte_ids_[256] = {};
  bool starts_added_[256] = {};  // the first bytes of the added tokens
};

}  // namespace gen
