// Hugging Face tokenizers' tokenizer.json, read and written, so that tokenizers.Tokenizer
// .from_file and transformers' AutoTokenizer give the ids gen gives.
//   byte-level BPE  (data.tokenizer file, gen tokenizer train): model BPE with its merges,
//         pre-tokenizer ByteLevel (GPT-2's regex), decoder ByteLevel, added tokens. GPT-2's own
//         tokenizer.json reads; a normalizer, another pre-tokenizer, BPE dropout, subword
//         prefixes and added tokens that strip or match single words are refused by name.
//   byte  the 256 bytes under GPT-2's byte-to-character table (ByteLevel pre-tokenizer and
//         decoder, no regex split), id = the byte's value; a BPE without merges.
//   char  the vocabulary's characters, id = gen's id, no pre-tokenizer, a Fuse decoder (the
//         symbols are joined as they are); a BPE without merges. Characters outside the
//         vocabulary have no id.
#pragma once

#include <string>
#include <string_view>

#include "core/bpe.h"
#include "core/tokenizer.h"

namespace gen {

// Throws DataError naming `where` and the key for anything gen cannot encode as the library
// would. The model is checked further by BpeTokenizer.
BpeModel read_bpe_tokenizer_json(std::string_view json, const std::string& where);

// indent < 0: one line (what a checkpoint stores).
std::string bpe_tokenizer_json(const BpeModel& model, int indent = 2);

std::string tokenizer_json(const Tokenizer& tokenizer);

}  // namespace gen
