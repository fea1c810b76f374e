// gen's tokenizers as Hugging Face tokenizers' tokenizer.json, so that tokenizers.Tokenizer
// .from_file and transformers' AutoTokenizer give the ids gen gives (gen export --format hf).
// Both are a BPE model without merges, which maps each symbol to its id:
//   byte  the 256 bytes under GPT-2's byte-to-character table (ByteLevel pre-tokenizer and
//         decoder, no regex split), id = the byte's value;
//   char  the vocabulary's characters, id = gen's id, no pre-tokenizer, a Fuse decoder (the
//         symbols are joined as they are). Characters outside the vocabulary have no id.
#pragma once

#include <cstdint>
#include <string>

#include "core/tokenizer.h"

namespace gen {

// GPT-2's bytes_to_unicode(): the printable character that stands for byte `b` in byte-level
// BPE vocabularies (printable ASCII and Latin-1 stand for themselves; the rest from U+0100 on).
uint32_t byte_level_char(uint8_t b);

std::string tokenizer_json(const Tokenizer& tokenizer);

}  // namespace gen
