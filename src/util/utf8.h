// UTF-8 validity: what gen reads as characters must be UTF-8, and what it writes as text
// (export metadata, TensorBoard text, samples of a byte model) must be UTF-8 whatever went in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gen {

// The byte offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF), or std::string::npos.
size_t first_invalid_utf8(std::string_view text);

// TEXT with every ill-formed sequence replaced by U+FFFD (one per bad byte); valid text unchanged.
std::string to_valid_utf8(std::string_view text);

// The code points of TEXT, read by the same rules: each byte that does not start a
// well-formed sequence becomes one U+FFFD.
std::vector<uint32_t> utf8_code_points(std::string_view text);

// The code point that starts at text[i] and its length in bytes; a byte that does not start a
// well-formed sequence reads as U+FFFD of length 1 (the rule of utf8_code_points). i < size.
uint32_t utf8_code_point_at(std::string_view text, size_t i, size_t* length);

// A code point (a Unicode scalar value: at most U+10FFFF, not a surrogate) as UTF-8.
std::string utf8_encode(uint32_t code_point);

}  // namespace gen
