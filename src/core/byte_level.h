// The byte-level half of GPT-2-style BPE, as the tokenizers library's ByteLevel pre-tokenizer:
// text is cut into pieces by GPT-2's regex
//     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// and each byte of a piece is written as a printable character (bytes_to_unicode), the alphabet
// the vocabulary's tokens are spelled in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gen {

// GPT-2's bytes_to_unicode(): the printable character that stands for byte `b` in byte-level
// BPE vocabularies (printable ASCII and Latin-1 stand for themselves; the rest from U+0100 on).
uint32_t byte_level_char(uint8_t b);

// The inverse of byte_level_char, or -1 for a character that stands for no byte.
int byte_of_level_char(uint32_t code_point);

// BYTES spelled in byte-level characters (UTF-8).
std::string to_byte_level(std::string_view bytes);

// The end (a byte offset) of the piece of TEXT that starts at `begin`, by GPT-2's regex with
// Unicode 14 classes (core/unicode_classes.h). Bytes that are not UTF-8 count as one
// character each of no class (they end up in the [^\s\p{L}\p{N}] pieces). begin < size.
size_t gpt2_piece_end(std::string_view text, size_t begin);

// The largest offset in (0, size] where TEXT can be cut without changing its pieces (after a
// '\n' that printable ASCII follows: no piece crosses it, and the regex looks only forward),
// or 0 when there is none.
size_t gpt2_safe_cut(std::string_view text);

// Calls f(piece) for every piece of TEXT in order; the pieces concatenate to TEXT.
template <class F>
void for_each_gpt2_piece(std::string_view text, F&& f) {
  for (size_t i = 0; i < text.size();) {
    const size_t end = gpt2_piece_end(text, i);
    f(text.substr(i, end - i));
    i = end;
  }
}

}  // namespace gen
