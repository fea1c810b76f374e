#include "util/folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "util/errors.h"

namespace gen {

namespace {
std::string holder_line() {
  char when[64];
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return "PID " + std::to_string(::getpid()) + ", started " + when;
}

std::string read_holder(int fd) {
  char buf[256] = {0};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string s(buf, n > 0 ? size_t(n) : 0);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s.empty() ? "a process that has not written its PID yet" : s;
}
}  // namespace

FolderLock::FolderLock(const std::string& folder) : path_(folder + "/.lock") {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IoError(path_ + ": cannot create the run lock: " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string holder = err == EWOULDBLOCK ? read_holder(fd_) : "";
    ::close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK) throw IoError(path_ + ": cannot take the run lock: " + std::strerror(err));
    throw UsageError(folder + " is being written by another gen (" + holder +
                     "); wait for it to finish, or start another run with --set name=NEW_NAME");
  }
  // Without the note the lock still holds; a second writer's message just cannot name this process.
  const std::string line = holder_line() + "\n";
  if (::ftruncate(fd_, 0) == 0) {
    const ssize_t written = ::pwrite(fd_, line.data(), line.size(), 0);
    (void)written;
  }
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace gen
