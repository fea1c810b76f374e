// The temporary files gen is writing (PATH.tmp.PID, renamed onto PATH when complete), so that a
// signal that ends the process can remove them: an interrupted command leaves nothing
// half-written behind, not even a temporary file.
#pragma once

#include <string>

namespace gen {

// Registers `path` while it lives. Without a free slot (more than 32 files written at once) the
// file is not registered, which only means a signal would leave it behind.
class TempFileGuard {
 public:
  explicit TempFileGuard(const std::string& path);
  ~TempFileGuard();
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;

 private:
  int slot_ = -1;
};

// Unlinks every registered file. Async-signal-safe: for a signal handler about to _exit.
void remove_temp_files_now();

}  // namespace gen
