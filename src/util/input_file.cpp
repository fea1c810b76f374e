#include "util/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/errors.h"

namespace gen {

std::string file_kind(unsigned mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

InputFile::InputFile(const std::string& path) : path_(path) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) throw IoError(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int err = errno;
    ::close(fd_);
    throw IoError(path + ": cannot stat: " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw IoError(path + ": " + file_kind(st.st_mode) + ", not a regular file");
  }
  size_ = uint64_t(st.st_size);
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::string InputFile::read(uint64_t offset, uint64_t n) const {
  std::string out(size_t(n), '\0');
  uint64_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd_, out.data() + done, size_t(n - done), off_t(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw IoError(path_ + ": read failed: " + std::strerror(errno));
    if (got == 0) {
      throw IoError(path_ + ": ended after " + std::to_string(offset + done) + " bytes while " +
                    std::to_string(offset + n) + " were expected (the file shrank while gen read it)");
    }
    done += uint64_t(got);
  }
  return out;
}

std::string InputFile::read_all(uint64_t max_bytes, const std::string& what) const {
  if (size_ > max_bytes) {
    throw IoError(path_ + ": " + std::to_string(size_) + " bytes, more than the " + std::to_string(max_bytes) + " a " +
                  what + " may have");
  }
  return read(0, size_);
}

}  // namespace gen
