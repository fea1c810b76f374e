// The character classes of GPT-2's pre-tokenizer regex: \p{L} (letters), \p{N} (numbers),
// \s (Unicode White_Space), everything else. Generated from Unicode 14.0 (Oniguruma 6.9.8's
// version, the regex engine of the tokenizers library), so that gen splits text where it does.
#pragma once

#include <cstdint>

namespace gen {

enum class CharClass { kOther, kLetter, kNumber, kSpace };

CharClass char_class(uint32_t code_point);

}  // namespace gen
