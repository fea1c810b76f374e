// Trains a byte-level BPE as the tokenizers library's BpeTrainer does (same pieces, same
// counts, same order of merges, so the same vocabulary on the same text):
//   - text is fed line by line, each line with its '\n' (the library reads files so), and
//     each line is cut by GPT-2's regex into pieces ("words") that are counted;
//   - special tokens first (ids 0..k-1, added tokens of the result; their text in the training
//     files is counted as any other text, as the library does), then the 256 byte-level
//     characters sorted by code point;
//   - each round merges the most frequent adjacent pair (a tie: the pair of smaller ids),
//     giving the next id, until the vocabulary has vocab_size tokens or no pair is left.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/bpe.h"

namespace gen {

class BpeTrainer {
 public:
  // Counts the words of TEXT (any bytes; UTF-8 is split as the regex says).
  void add_text(std::string_view text);
  uint64_t words_seen() const { return words_seen_; }
  size_t distinct_words() const { return word_counts_.size(); }

  // `progress(merges_done, merges_wanted)` is called now and then. vocab_size >= 256 + specials.
  BpeModel train(int64_t vocab_size, const std::function<void(int64_t, int64_t)>& progress = nullptr,
                 const std::vector<std::string>& special_tokens = {}) const;

 private:
  std::unordered_map<std::string, uint64_t> word_counts_;  // piece bytes -> count
  uint64_t words_seen_ = 0;
};

}  // namespace gen
