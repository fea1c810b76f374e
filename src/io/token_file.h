// Token files: token ids on disk, read memory-mapped (never whole), so a corpus larger than
// memory trains. Two layouts:
//   gen      a 64-byte header, then the ids as little-endian uint16 (vocabularies up to 65,536)
//            or uint32. The header: "GENTOKS1", version 1, bytes per id, the id count, the
//            vocabulary size, and the tokenizer that wrote it (its kind and a CRC-32C of its
//            vocabulary), so training with another tokenizer is refused by name.
//                0  magic "GENTOKS1"     8  u32 version (1)      12  u32 bytes per id (2|4)
//               16  u64 id count        24  u64 vocab size       32  u32 tokenizer CRC-32C
//               36  char[12] tokenizer kind (zero-padded)        48  16 zero bytes
//   nanogpt  raw little-endian uint16, no header: nanoGPT's prepare.py train.bin / val.bin.
// A file that starts with the magic is gen's; any other is read as nanoGPT's.
#pragma once

#include <cstdint>
#include <string>

#include "util/fs.h"

namespace gen {

struct TokenFileHeader {
  uint32_t id_bytes = 2;
  uint64_t count = 0;
  uint64_t vocab_size = 0;
  uint32_t tokenizer_crc = 0;
  std::string tokenizer_kind;  // at most 12 bytes; "" for a nanoGPT file
};

constexpr uint64_t kTokenFileHeaderBytes = 64;

// The header's bytes.
std::string encode_token_file_header(const TokenFileHeader& h);

class TokenFile {
 public:
  // Maps PATH read-only. Throws DataError naming the file: not a regular file, a header that
  // does not match the size (truncated), an odd size for a nanoGPT file, no tokens.
  explicit TokenFile(const std::string& path);
  ~TokenFile();
  TokenFile(const TokenFile&) = delete;
  TokenFile& operator=(const TokenFile&) = delete;

  const std::string& path() const { return path_; }
  bool has_header() const { return has_header_; }
  const TokenFileHeader& header() const { return header_; }
  uint64_t size() const { return header_.count; }
  // Ids [start, start + n) as int64. start + n <= size().
  void read(uint64_t start, uint64_t n, int64_t* out) const;

 private:
  std::string path_;
  bool has_header_ = false;
  TokenFileHeader header_;
  const unsigned char* ids_ = nullptr;  // into the mapping
  void* map_ = nullptr;
  uint64_t map_bytes_ = 0;
};

// Writes a gen token file: ids appended in order, the header written last; the file appears
// whole at PATH when write() returns (util/fs.h), or not at all.
class TokenFileWriter {
 public:
  TokenFileWriter(const WriteFn& write, TokenFileHeader header);  // header.count is counted
  void append(const int64_t* ids, size_t n);
  const TokenFileHeader& header() const { return header_; }

 private:
  const WriteFn& write_;
  TokenFileHeader header_;
  std::string buffer_;
};

enum class TokenFileLayout { kGen, kNanoGpt };

// Writes PATH: fill(writer) appends the ids. Returns the header (kNanoGpt: written without it;
// it needs a vocabulary of at most 65,536).
TokenFileHeader write_token_file(const std::string& path, const TokenFileHeader& header, TokenFileLayout layout,
                                 const std::function<void(TokenFileWriter&)>& fill);

}  // namespace gen
