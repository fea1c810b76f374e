#include "core/bpe_trainer.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "core/byte_level.h"
#include "util/utf8.h"

namespace gen {

namespace {

using Pair = uint64_t;  // (left id << 32) | right id: ordering the key orders the pair
Pair pair_of(uint32_t a, uint32_t b) { return (uint64_t(a) << 32) | b; }
uint32_t left(Pair p) { return uint32_t(p >> 32); }
uint32_t right(Pair p) { return uint32_t(p); }

// A queue entry: a pair, its count when pushed, and the words it was seen in then.
struct Merge {
  Pair pair;
  int64_t count;
  std::vector<uint32_t> words;
};
// std::push_heap keeps the largest first: the higher count, then the smaller pair.
bool heap_less(const Merge& a, const Merge& b) { return a.count != b.count ? a.count < b.count : a.pair > b.pair; }

struct Change {
  Pair pair;
  int delta;
  uint32_t word;
};

// Word::merge of the library: replaces each (a, b) left to right by `merged` and reports how
// the neighbouring pairs change (the merged pair's own count is left as it is, as there).
void merge_word(std::vector<uint32_t>& w, uint32_t a, uint32_t b, uint32_t merged, uint32_t word,
                std::vector<Change>& changes) {
  std::vector<uint32_t> out;
  out.reserve(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] == a && i + 1 < w.size() && w[i + 1] == b) {
      if (!out.empty()) {
        changes.push_back({pair_of(out.back(), a), -1, word});
        changes.push_back({pair_of(out.back(), merged), 1, word});
      }
      out.push_back(merged);
      if (i + 2 < w.size()) {
        changes.push_back({pair_of(b, w[i + 2]), -1, word});
        changes.push_back({pair_of(merged, w[i + 2]), 1, word});
      }
      ++i;
    } else {
      out.push_back(w[i]);
    }
  }
  w.swap(out);
}

}  // namespace

void BpeTrainer::add_text(std::string_view text) {
  size_t line_start = 0;
  while (line_start < text.size()) {
    size_t nl = text.find('\n', line_start);
    const size_t line_end = nl == std::string_view::npos ? text.size() : nl + 1;
    for_each_gpt2_piece(text.substr(line_start, line_end - line_start), [&](std::string_view piece) {
      ++word_counts_[std::string(piece)];
      ++words_seen_;
    });
    line_start = line_end;
  }
}

BpeModel BpeTrainer::train(int64_t vocab_size, const std::function<void(int64_t, int64_t)>& progress,
                           const std::vector<std::string>& special_tokens) const {
  BpeModel model;
  std::unordered_map<std::string, uint32_t> id_of_token;
  const auto add = [&](const std::string& token) {
    const auto [it, fresh] = id_of_token.emplace(token, static_cast<uint32_t>(model.tokens.size()));
    if (fresh) model.tokens.push_back(token);
    return it->second;
  };
  for (const std::string& special : special_tokens) {
    const auto before = model.tokens.size();
    const uint32_t id = add(special);
    if (model.tokens.size() > before) model.added.push_back({static_cast<int32_t>(id), special, true});
  }
  // The alphabet: the 256 byte-level characters in code point order.
  std::vector<uint32_t> chars(256);
  for (int b = 0; b < 256; ++b) chars[size_t(b)] = byte_level_char(uint8_t(b));
  std::sort(chars.begin(), chars.end());
  uint32_t id_of_byte[256];
  for (uint32_t c : chars) id_of_byte[byte_of_level_char(c)] = add(utf8_encode(c));

  std::vector<std::vector<uint32_t>> words;
  std::vector<int64_t> counts;
  words.reserve(word_counts_.size());
  for (const auto& [piece, count] : word_counts_) {
    std::vector<uint32_t> w;
    w.reserve(piece.size());
    for (unsigned char c : piece) w.push_back(id_of_byte[c]);
    words.push_back(std::move(w));
    counts.push_back(static_cast<int64_t>(count));
  }

  std::unordered_map<Pair, int64_t> pair_counts;
  std::unordered_map<Pair, std::vector<uint32_t>> where;
  for (uint32_t i = 0; i < words.size(); ++i) {
    for (size_t k = 0; k + 1 < words[i].size(); ++k) {
      const Pair p = pair_of(words[i][k], words[i][k + 1]);
      pair_counts[p] += counts[i];
      where[p].push_back(i);
    }
  }
  std::vector<Merge> heap;
  const auto push_updates = [&] {
    for (auto& [pair, ws] : where) {
      const int64_t count = pair_counts[pair];
      if (count <= 0) continue;
      std::sort(ws.begin(), ws.end());
      ws.erase(std::unique(ws.begin(), ws.end()), ws.end());
      heap.push_back({pair, count, std::move(ws)});
      std::push_heap(heap.begin(), heap.end(), heap_less);
    }
    where.clear();
  };
  push_updates();

  const int64_t wanted = std::max<int64_t>(0, vocab_size - static_cast<int64_t>(model.tokens.size()));
  std::vector<Change> changes;
  while (static_cast<int64_t>(id_of_token.size()) < vocab_size && !heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), heap_less);
    Merge top = std::move(heap.back());
    heap.pop_back();
    const int64_t now = pair_counts[top.pair];
    if (top.count != now) {  // counts moved since it was pushed: back in at its count now
      top.count = now;
      heap.push_back(std::move(top));
      std::push_heap(heap.begin(), heap.end(), heap_less);
      continue;
    }
    if (top.count < 1) break;
    const uint32_t a = left(top.pair), b = right(top.pair);
    const uint32_t merged = add(model.tokens[a] + model.tokens[b]);
    model.merges.emplace_back(static_cast<int32_t>(a), static_cast<int32_t>(b));

    changes.clear();
    for (uint32_t w : top.words) merge_word(words[w], a, b, merged, w, changes);
    for (const Change& c : changes) {
      pair_counts[c.pair] += c.delta * counts[c.word];
      if (c.delta > 0) where[c.pair].push_back(c.word);
    }
    push_updates();
    if (progress && (model.merges.size() % 64 == 0)) progress(static_cast<int64_t>(model.merges.size()), wanted);
  }
  if (progress) progress(static_cast<int64_t>(model.merges.size()), wanted);
  return model;
}

}  // namespace gen
