#include "io/token_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "util/errors.h"
#include "util/input_file.h"

namespace gen {

namespace {

constexpr char kMagic[8] = {'G', 'E', 'N', 'T', 'O', 'K', 'S', '1'};

template <class T>
void put(std::string& out, size_t at, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) out[at + i] = char((uint64_t(v) >> (8 * i)) & 0xFF);
}
template <class T>
T get(const unsigned char* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= uint64_t(p[i]) << (8 * i);
  return T(v);
}

}  // namespace

std::string encode_token_file_header(const TokenFileHeader& h) {
  std::string out(kTokenFileHeaderBytes, '\0');
  std::memcpy(out.data(), kMagic, sizeof(kMagic));
  put<uint32_t>(out, 8, 1);
  put<uint32_t>(out, 12, h.id_bytes);
  put<uint64_t>(out, 16, h.count);
  put<uint64_t>(out, 24, h.vocab_size);
  put<uint32_t>(out, 32, h.tokenizer_crc);
  std::memcpy(out.data() + 36, h.tokenizer_kind.data(), std::min<size_t>(12, h.tokenizer_kind.size()));
  return out;
}

TokenFile::TokenFile(const std::string& path) : path_(path) {
  uint64_t bytes = 0;
  int fd = -1;
  try {
    const InputFile in(path);
    bytes = in.size();
    fd = ::dup(in.fd());
  } catch (const IoError& e) {
    throw DataError(e.what());
  }
  if (fd < 0) throw DataError(path + ": cannot open: " + std::strerror(errno));
  if (bytes > 0) {
    map_ = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
    const int err = errno;
    ::close(fd);
    if (map_ == MAP_FAILED) {
      map_ = nullptr;
      throw DataError(path + ": cannot map the token file: " + std::strerror(err));
    }
    map_bytes_ = bytes;
    ::madvise(map_, bytes, MADV_RANDOM);  // windows are drawn at random: no read-ahead
  } else {
    ::close(fd);
  }
  const auto* p = static_cast<const unsigned char*>(map_);
  has_header_ = bytes >= kTokenFileHeaderBytes && std::memcmp(p, kMagic, sizeof(kMagic)) == 0;
  const auto fail = [&](const std::string& what) {
    if (map_) ::munmap(map_, map_bytes_);
    map_ = nullptr;
    throw DataError(path + ": " + what);
  };
  if (has_header_) {
    if (get<uint32_t>(p + 8) != 1) fail("gen token file of version " + std::to_string(get<uint32_t>(p + 8)) + ", this gen reads version 1");
    header_.id_bytes = get<uint32_t>(p + 12);
    header_.count = get<uint64_t>(p + 16);
    header_.vocab_size = get<uint64_t>(p + 24);
    header_.tokenizer_crc = get<uint32_t>(p + 32);
    const char* kind = reinterpret_cast<const char*>(p + 36);
    header_.tokenizer_kind.assign(kind, strnlen(kind, 12));
    if (header_.id_bytes != 2 && header_.id_bytes != 4) fail("malformed header: " + std::to_string(header_.id_bytes) + " bytes per id (2 or 4)");
    if (header_.vocab_size == 0 || header_.vocab_size > (uint64_t(1) << 32)) fail("malformed header: vocabulary size " + std::to_string(header_.vocab_size));
    const uint64_t body = bytes - kTokenFileHeaderBytes;
    if (header_.count > body / header_.id_bytes || body != header_.count * header_.id_bytes) {
      fail("the header says " + std::to_string(header_.count) + " ids (" + std::to_string(header_.count * header_.id_bytes) +
           " bytes) but " + std::to_string(body) + " bytes follow it (truncated or appended to?)");
    }
    ids_ = p + kTokenFileHeaderBytes;
  } else {
    if (bytes % 2 != 0) fail("an odd number of bytes (" + std::to_string(bytes) + "): neither a gen token file (no GENTOKS1 header) nor nanoGPT's uint16 .bin");
    header_.id_bytes = 2;
    header_.count = bytes / 2;
    header_.vocab_size = 65536;
    ids_ = p;
  }
  if (header_.count == 0) fail("holds no tokens");
}

TokenFile::~TokenFile() {
  if (map_) ::munmap(map_, map_bytes_);
}

void TokenFile::read(uint64_t start, uint64_t n, int64_t* out) const {
  const unsigned char* p = ids_ + start * header_.id_bytes;
  if (header_.id_bytes == 2) {
    for (uint64_t i = 0; i < n; ++i) out[i] = get<uint16_t>(p + 2 * i);
  } else {
    for (uint64_t i = 0; i < n; ++i) out[i] = get<uint32_t>(p + 4 * i);
  }
}

TokenFileWriter::TokenFileWriter(const WriteFn& write, TokenFileHeader header) : write_(write), header_(std::move(header)) {
  header_.count = 0;
  header_.id_bytes = header_.vocab_size <= 65536 ? 2 : 4;
}

void TokenFileWriter::append(const int64_t* ids, size_t n) {
  buffer_.resize(n * header_.id_bytes);
  for (size_t i = 0; i < n; ++i) {
    if (header_.id_bytes == 2) {
      put<uint16_t>(buffer_, 2 * i, static_cast<uint16_t>(ids[i]));
    } else {
      put<uint32_t>(buffer_, 4 * i, static_cast<uint32_t>(ids[i]));
    }
  }
  write_(buffer_.data(), buffer_.size());
  header_.count += n;
}

TokenFileHeader write_token_file(const std::string& path, const TokenFileHeader& header, TokenFileLayout layout,
                                 const std::function<void(TokenFileWriter&)>& fill) {
  TokenFileHeader written;
  write_file_atomic(path, [&](const WriteFn& write, const PatchFn& patch) {
    const bool with_header = layout == TokenFileLayout::kGen;
    if (with_header) write(std::string(kTokenFileHeaderBytes, '\0').data(), kTokenFileHeaderBytes);
    TokenFileWriter writer(write, header);
    if (!with_header && writer.header().id_bytes != 2) {
      throw DataError(path + ": nanoGPT's .bin holds uint16 ids; a vocabulary of " + std::to_string(header.vocab_size) +
                      " needs the gen layout");
    }
    fill(writer);
    written = writer.header();
    if (with_header) {
      const std::string h = encode_token_file_header(written);
      patch(0, h.data(), h.size());
    }
  });
  return written;
}

}  // namespace gen
