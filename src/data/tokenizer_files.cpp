#include "data/tokenizer_files.h"

#include <fmt/format.h>

#include "io/crc32c.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/input_file.h"

namespace gen {

Tokenizer read_tokenizer_file(const std::string& path, const std::string& key) {
  constexpr uint64_t kMaxJsonBytes = uint64_t(64) << 20;
  if (!target_exists(path)) {
    throw DataError(key + ": " + path + ": no such file (gen tokenizer train TEXT... --vocab-size N --out " + path +
                    " makes one)");
  }
  try {
    const InputFile in(path);
    return Tokenizer::from_json(in.read_all(kMaxJsonBytes, "tokenizer.json"), key + " " + path);
  } catch (const IoError& e) {
    throw DataError(key + ": " + e.what());
  }
}

Tokenizer config_tokenizer(TokenizerKind kind, const std::string& tokenizer_file, const std::string& text) {
  if (kind == TokenizerKind::kFile) return read_tokenizer_file(tokenizer_file, "data.tokenizer_file");
  return Tokenizer::build(enum_name(kind), text);
}

TokenFileHeader token_file_header(const Tokenizer& tokenizer) {
  TokenFileHeader h;
  h.vocab_size = static_cast<uint64_t>(tokenizer.vocab_size());
  h.tokenizer_kind = tokenizer.kind();
  const std::string identity = tokenizer.kind() + "\n" + tokenizer.symbols();
  h.tokenizer_crc = crc32c(identity.data(), identity.size());
  return h;
}

void check_token_file_tokenizer(const TokenFile& file, const Tokenizer& tokenizer, const std::string& how) {
  if (!file.has_header()) return;
  const TokenFileHeader want = token_file_header(tokenizer);
  const TokenFileHeader& have = file.header();
  if (have.tokenizer_kind != want.tokenizer_kind || have.tokenizer_crc != want.tokenizer_crc ||
      have.vocab_size != want.vocab_size) {
    throw DataError(fmt::format(
        "{}: written with another tokenizer ({} tokenizer, vocabulary {}, fingerprint {:08x}) than {} names ({}, "
        "vocabulary {}, fingerprint {:08x}); write it again with gen tokenize and this tokenizer",
        file.path(), have.tokenizer_kind, have.vocab_size, have.tokenizer_crc, how, want.tokenizer_kind,
        want.vocab_size, want.tokenizer_crc));
  }
}

}  // namespace gen
