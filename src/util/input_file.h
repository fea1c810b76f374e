// An input file that gen reads only when it is a regular file. A character device, FIFO,
// socket or folder given where a file is expected is refused before a byte is read: /dev/zero
// as a checkpoint would otherwise be read until the kernel kills gen, and a FIFO would hang it.
#pragma once

#include <cstdint>
#include <string>

namespace gen {

class InputFile {
 public:
  // Opens PATH (links followed) without blocking on a FIFO. Throws IoError "PATH: cannot open:
  // ..." or "PATH: not a regular file (a character device)".
  explicit InputFile(const std::string& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  int fd() const { return fd_; }

  // N bytes from OFFSET. Throws IoError when the file ends sooner (it shrank after opening).
  std::string read(uint64_t offset, uint64_t n) const;
  // The whole file. Throws IoError "PATH: N bytes, more than the M a WHAT may have" first when
  // the file is larger than MAX_BYTES.
  std::string read_all(uint64_t max_bytes, const std::string& what) const;

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// What kind of file system object PATH's stat mode is, for messages: "a folder", "a FIFO", ...
std::string file_kind(unsigned mode);

}  // namespace gen
