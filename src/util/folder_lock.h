// One writing process per folder: an advisory flock(2) on FOLDER/.lock. The kernel releases it
// when the holder ends in any way (kill -9 included), so a crashed run never leaves a stale lock
// behind; the file records the holder's PID and start time for the message a second writer gets.
// Readers (gen sample, gen eval) take no lock.
#pragma once

#include <string>

namespace gen {

class FolderLock {
 public:
  // Takes the lock on FOLDER (which must exist), or throws UsageError naming the folder and the
  // holder's PID and start time. IoError when the lock file cannot be created.
  explicit FolderLock(const std::string& folder);
  ~FolderLock();  // releases it
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace gen
