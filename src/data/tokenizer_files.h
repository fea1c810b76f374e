// The tokenizer a text config names, and how token files record it.
#pragma once

#include <string>

#include "config/config.h"
#include "core/tokenizer.h"
#include "io/token_file.h"

namespace gen {

// A byte-level BPE tokenizer.json (data.tokenizer_file, gen tokenize --tokenizer). Throws
// DataError naming `key` and the file.
Tokenizer read_tokenizer_file(const std::string& path, const std::string& key);

// The tokenizer a data config chooses: data.tokenizer file reads data.tokenizer_file; char
// takes its vocabulary from `text`; byte needs nothing.
Tokenizer config_tokenizer(TokenizerKind kind, const std::string& tokenizer_file, const std::string& text);

// The header fields that name TOKENIZER: its kind, vocabulary size and a CRC-32C of its kind
// and vocabulary (char symbols, a BPE's tokenizer.json as gen writes it).
TokenFileHeader token_file_header(const Tokenizer& tokenizer);

// Throws DataError when FILE was written with another tokenizer than TOKENIZER (`how` names
// the config keys that chose it). A nanoGPT file has no header: nothing to compare.
void check_token_file_tokenizer(const TokenFile& file, const Tokenizer& tokenizer, const std::string& how);

}  // namespace gen
