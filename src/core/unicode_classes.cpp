#include "core/unicode_classes.h"

#include <algorithm>
#include <array>
#include <iterator>

namespace gen {

namespace {

struct Range {
  uint32_t first, last;
  CharClass cls;
};

constexpr Range kRanges[] = {
#include "core/unicode_classes_table.inc"
};

// ASCII by table lookup: most text is ASCII and the regex asks about every character.
const std::array<CharClass, 128> kAscii = [] {
  std::array<CharClass, 128> a{};
  for (const Range& r : kRanges) {
    for (uint32_t c = r.first; c <= r.last && c < 128; ++c) a[c] = r.cls;
  }
  return a;
}();

}  // namespace

CharClass char_class(uint32_t code_point) {
  if (code_point < 128) return kAscii[code_point];
  const Range* end = std::end(kRanges);
  const Range* it = std::upper_bound(std::begin(kRanges), end, code_point,
                                     [](uint32_t cp, const Range& r) { return cp < r.first; });
  if (it == std::begin(kRanges)) return CharClass::kOther;
  --it;
  return code_point <= it->last ? it->cls : CharClass::kOther;
}

}  // namespace gen
