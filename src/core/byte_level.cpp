#include "core/byte_level.h"

#include <array>

#include "core/unicode_classes.h"
#include "util/utf8.h"

namespace gen {

namespace {

const std::array<std::string, 256> kByteChars = [] {
  std::array<std::string, 256> a;
  for (int b = 0; b < 256; ++b) a[size_t(b)] = utf8_encode(byte_level_char(uint8_t(b)));
  return a;
}();

struct Char {
  CharClass cls;
  uint32_t cp;
  size_t len;
};

Char char_at(std::string_view s, size_t i) {
  if (static_cast<uint8_t>(s[i]) < 0x80) {  // ASCII, most of any text
    const auto c = static_cast<uint32_t>(s[i]);
    return {char_class(c), c, 1};
  }
  size_t len = 0;
  const uint32_t cp = utf8_code_point_at(s, i, &len);
  // An ill-formed byte reads as U+FFFD; it is no letter, number or space, like U+FFFD itself.
  return {char_class(cp), cp, len};
}

// The end of the run of characters of class `cls` that starts at i.
size_t run_end(std::string_view s, size_t i, CharClass cls) {
  while (i < s.size()) {
    const Char c = char_at(s, i);
    if (c.cls != cls) break;
    i += c.len;
  }
  return i;
}

// 's|'t|'re|'ve|'m|'ll|'d at i (s[i] == '\''): the end, or 0.
size_t contraction_end(std::string_view s, size_t i) {
  const std::string_view rest = s.substr(i + 1);
  for (std::string_view two : {"s", "t", "m", "d"}) {
    if (rest.substr(0, 1) == two) return i + 2;
  }
  for (std::string_view three : {"re", "ve", "ll"}) {
    if (rest.substr(0, 2) == three) return i + 3;
  }
  return 0;
}

}  // namespace

uint32_t byte_level_char(uint8_t b) {
  const auto printable = [](uint32_t c) { return (c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || c >= 0xAE; };
  if (printable(b)) return b;
  uint32_t n = 0;  // the others in byte order take U+0100, U+0101, ...
  for (uint32_t c = 0; c < b; ++c) n += printable(c) ? 0 : 1;
  return 256 + n;
}

int byte_of_level_char(uint32_t code_point) {
  static const std::array<int, 512> inverse = [] {
    std::array<int, 512> a;
    a.fill(-1);
    for (int b = 0; b < 256; ++b) a[byte_level_char(uint8_t(b))] = b;
    return a;
  }();
  return code_point < inverse.size() ? inverse[code_point] : -1;
}

std::string to_byte_level(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) out += kByteChars[b];
  return out;
}

size_t gpt2_piece_end(std::string_view s, size_t i) {
  const Char c0 = char_at(s, i);
  if (c0.cp == '\'') {
    if (const size_t end = contraction_end(s, i)) return end;
  }
  // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one class.
  if (c0.cp == ' ' && i + 1 < s.size()) {
    const Char c1 = char_at(s, i + 1);
    if (c1.cls != CharClass::kSpace) return run_end(s, i + 1, c1.cls);
  }
  if (c0.cls != CharClass::kSpace) return run_end(s, i, c0.cls);
  // `\s+(?!\S)|\s+`: a run of white space, less its last character when text follows, so
  // that the space before a word stays with the word; a single one stays alone.
  size_t last = i, end = i;
  while (end < s.size()) {
    const Char c = char_at(s, end);
    if (c.cls != CharClass::kSpace) break;
    last = end;
    end += c.len;
  }
  if (end == s.size() || last == i) return end;
  return last;
}

size_t gpt2_safe_cut(std::string_view s) {
  for (size_t nl = s.rfind('\n'); nl != std::string_view::npos && nl > 0; nl = s.rfind('\n', nl - 1)) {
    if (nl + 1 < s.size() && s[nl + 1] > ' ' && s[nl + 1] < 0x7F) return nl + 1;
  }
  return 0;
}

}  // namespace gen
