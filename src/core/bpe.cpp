#include "core/bpe.h"

#include <algorithm>
#include <queue>

#include "core/byte_level.h"
#include "util/errors.h"
#include "util/utf8.h"

namespace gen {

namespace {

uint64_t pair_key(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }

// The bytes a token of byte-level characters stands for, or false when a character stands
// for no byte.
bool token_bytes_of(const std::string& token, std::string& bytes) {
  bytes.clear();
  for (uint32_t cp : utf8_code_points(token)) {
    const int b = byte_of_level_char(cp);
    if (b < 0) return false;
    bytes += char(b);
  }
  return true;
}

}  // namespace

BpeTokenizer::BpeTokenizer(BpeModel model, const std::string& where) : model_(std::move(model)) {
  const auto fail = [&](const std::string& what) { throw DataError(where + ": " + what); };
  const auto n = static_cast<int32_t>(model_.tokens.size());
  token_text_.resize(size_t(n));
  std::vector<bool> is_added(size_t(n), false);
  for (const AddedToken& t : model_.added) {
    if (t.id < 0 || t.id >= n) fail("added token '" + t.content + "' has id " + std::to_string(t.id) + ", outside the vocabulary");
    if (t.content.empty()) fail("added token " + std::to_string(t.id) + " is empty");
    is_added[size_t(t.id)] = true;
    token_text_[size_t(t.id)] = t.content;
    starts_added_[static_cast<uint8_t>(t.content[0])] = true;
  }
  ids_.reserve(size_t(n));
  for (int32_t id = 0; id < n; ++id) {
    const std::string& tok = model_.tokens[size_t(id)];
    if (!ids_.emplace(tok, id).second) fail("token '" + tok + "' appears twice in the vocabulary");
    if (is_added[size_t(id)]) continue;
    if (!token_bytes_of(tok, token_text_[size_t(id)]) || tok.empty()) {
      fail("token " + std::to_string(id) + " '" + tok +
           "' is not spelled in byte-level characters (gen reads byte-level BPE tokenizers, as GPT-2's)");
    }
  }
  for (int b = 0; b < 256; ++b) {
    const auto it = ids_.find(utf8_encode(byte_level_char(uint8_t(b))));
    if (it == ids_.end()) {
      fail("byte " + std::to_string(b) + " has no token (a byte-level BPE has one for each of the 256 bytes)");
    }
    byte_ids_[b] = it->second;
  }
  merge_of_.reserve(model_.merges.size());
  for (size_t rank = 0; rank < model_.merges.size(); ++rank) {
    const auto [a, b] = model_.merges[rank];
    if (a < 0 || a >= n || b < 0 || b >= n) fail("merge " + std::to_string(rank) + " names an id outside the vocabulary");
    const auto it = ids_.find(model_.tokens[size_t(a)] + model_.tokens[size_t(b)]);
    if (it == ids_.end()) {
      fail("merge " + std::to_string(rank) + " ('" + model_.tokens[size_t(a)] + "', '" + model_.tokens[size_t(b)] +
           "') makes a token that is not in the vocabulary");
    }
    // A pair listed twice keeps its last rank, as in the tokenizers library's merge map.
    merge_of_[pair_key(a, b)] = {static_cast<int32_t>(rank), it->second};
  }
}

// Word::merge_all of the tokenizers library: a min-heap of (rank, position) over the linked
// symbols; an entry whose pair has changed since it was pushed is skipped.
void BpeTokenizer::encode_piece(std::string_view piece, std::vector<int64_t>& out) const {
  if (model_.ignore_merges) {
    if (const auto it = ids_.find(to_byte_level(piece)); it != ids_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  const auto len = static_cast<int32_t>(piece.size());
  std::vector<int32_t> id(static_cast<size_t>(len)), prev(static_cast<size_t>(len)), next(static_cast<size_t>(len));
  std::vector<bool> gone(static_cast<size_t>(len), false);
  for (int32_t i = 0; i < len; ++i) {
    id[size_t(i)] = byte_ids_[static_cast<uint8_t>(piece[size_t(i)])];
    prev[size_t(i)] = i - 1;
    next[size_t(i)] = i + 1 < len ? i + 1 : -1;
  }
  struct Entry {
    int32_t rank, pos, new_id;
    bool operator<(const Entry& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Entry> heap;
  const auto push = [&](int32_t pos) {
    const int32_t nx = next[size_t(pos)];
    if (nx < 0) return;
    const auto it = merge_of_.find(pair_key(id[size_t(pos)], id[size_t(nx)]));
    if (it != merge_of_.end()) heap.push({it->second.first, pos, it->second.second});
  };
  for (int32_t i = 0; i + 1 < len; ++i) push(i);
  while (!heap.empty()) {
    const Entry top = heap.top();
    heap.pop();
    const auto p = size_t(top.pos);
    if (gone[p] || next[p] < 0) continue;
    const auto r = size_t(next[p]);
    const auto it = merge_of_.find(pair_key(id[p], id[r]));
    if (it == merge_of_.end() || it->second.second != top.new_id) continue;  // stale
    id[p] = top.new_id;
    gone[r] = true;
    next[p] = next[r];
    if (next[r] >= 0) prev[size_t(next[r])] = top.pos;
    if (prev[p] >= 0) push(prev[p]);
    push(top.pos);
  }
  for (int32_t i = 0; i >= 0 && i < len; i = next[size_t(i)]) out.push_back(id[size_t(i)]);
}

void BpeTokenizer::encode_plain(std::string_view text, bool prefix, PieceCache& cache,
                                std::vector<int64_t>& out) const {
  if (text.empty()) return;
  std::string prefixed;
  if (prefix && model_.add_prefix_space && text.front() != ' ') {
    prefixed.append(1, ' ').append(text);  // appended: GCC 12's -Wrestrict misfires on " " + string
    text = prefixed;
  }
  if (!model_.use_regex) {
    encode_piece(text, out);  // the whole text is one piece
    return;
  }
  // Words repeat: most pieces of a long text were encoded before (the cache's size is bounded).
  constexpr size_t kCacheEntries = size_t(1) << 17;
  std::vector<int64_t> ids;
  for_each_gpt2_piece(text, [&](std::string_view piece) {
    const std::string key(piece);
    if (const auto it = cache.find(key); it != cache.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
    ids.clear();
    encode_piece(piece, ids);
    out.insert(out.end(), ids.begin(), ids.end());
    if (cache.size() < kCacheEntries) cache.emplace(key, std::vector<int32_t>(ids.begin(), ids.end()));
  });
}

void BpeTokenizer::encode_into(std::string_view text, std::vector<int64_t>& out, bool at_start) const {
  // Added tokens first: at each position the longest one that starts there, leftmost first
  // (the library's leftmost-longest match); the text between them is encoded plainly.
  PieceCache cache;
  size_t plain_start = 0, i = 0;
  while (i < text.size() && !model_.added.empty()) {
    if (!starts_added_[static_cast<uint8_t>(text[i])]) {  // most bytes start no added token
      ++i;
      continue;
    }
    const AddedToken* best = nullptr;
    for (const AddedToken& t : model_.added) {
      if (text.compare(i, t.content.size(), t.content) == 0 && (!best || t.content.size() > best->content.size())) {
        best = &t;
      }
    }
    if (!best) {
      ++i;
      continue;
    }
    encode_plain(text.substr(plain_start, i - plain_start), at_start || plain_start > 0, cache, out);
    out.push_back(best->id);
    i += best->content.size();
    plain_start = i;
  }
  encode_plain(text.substr(plain_start), at_start || plain_start > 0, cache, out);
}

std::vector<int64_t> BpeTokenizer::encode(std::string_view text) const {
  std::vector<int64_t> out;
  encode_into(text, out);
  return out;
}

std::string BpeTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string out;
  for (int64_t id : ids) {
    if (id >= 0 && id < vocab_size()) out += token_text_[size_t(id)];
  }
  return out;
}

}  // namespace gen
