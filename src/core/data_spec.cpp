#include "core/data_spec.h"

namespace gen {

namespace {

// "vocabulary: 40 symbols -> 41 symbols, the first difference at byte 3 ('c' -> 'd')"
std::string vocabulary_difference(const TextVocab& a, const TextVocab& b) {
  size_t i = 0;
  while (i < a.vocabulary.size() && i < b.vocabulary.size() && a.vocabulary[i] == b.vocabulary[i]) ++i;
  // Appended piece by piece: GCC 12's -Wrestrict misfires on chains of std::string + in C++20.
  auto at = [i](std::string& out, const std::string& v) {
    if (i < v.size()) {
      out.append(1, '\'').append(v, i, 1).append(1, '\'');
    } else {
      out.append("none");
    }
  };
  std::string text = "vocabulary: ";
  text.append(std::to_string(a.vocab_size)).append(" symbols -> ").append(std::to_string(b.vocab_size));
  text.append(" symbols, the first difference at byte ").append(std::to_string(i)).append(" (");
  at(text, a.vocabulary);
  text.append(" -> ");
  at(text, b.vocabulary);
  return text.append(")");
}

void add(std::string& out, const char* what, const std::string& before, const std::string& after) {
  if (before != after) out += (out.empty() ? "" : "; ") + std::string(what) + ": " + before + " -> " + after;
}

void add(std::string& out, const char* what, int64_t before, int64_t after) {
  add(out, what, std::to_string(before), std::to_string(after));
}

}  // namespace

std::string data_differences(const DataSpec& before, const DataSpec& after) {
  std::string d;
  add(d, "kind", before.is_text() ? "text" : "images", after.is_text() ? "text" : "images");
  if (!d.empty()) return d;
  if (after.is_text()) {
    add(d, "tokenizer", before.text.tokenizer, after.text.tokenizer);
    if (before.text.vocabulary != after.text.vocabulary || before.text.vocab_size != after.text.vocab_size) {
      d += (d.empty() ? "" : "; ") + vocabulary_difference(before.text, after.text);
    }
    return d;
  }
  add(d, "channels", before.shape.channels, after.shape.channels);
  add(d, "height", before.shape.height, after.shape.height);
  add(d, "width", before.shape.width, after.shape.width);
  add(d, "classes", before.shape.num_classes, after.shape.num_classes);
  return d;
}

}  // namespace gen
