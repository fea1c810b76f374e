#include "util/temp_files.h"

#include <unistd.h>

#include <atomic>
#include <cstring>

namespace gen {

namespace {
constexpr int kSlots = 32;
constexpr size_t kPathBytes = 4096;

// state: 0 free, 1 being filled, 2 holds a path. A lock-free atomic int is safe to read in a
// signal handler; the path is written before the state says it is there.
struct Slot {
  std::atomic<int> state{0};
  char path[kPathBytes];
};
Slot g_slots[kSlots];
static_assert(std::atomic<int>::is_always_lock_free);
}  // namespace

TempFileGuard::TempFileGuard(const std::string& path) {
  if (path.size() >= kPathBytes) return;
  for (int i = 0; i < kSlots; ++i) {
    int free = 0;
    if (g_slots[i].state.compare_exchange_strong(free, 1)) {
      std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
      g_slots[i].state.store(2);
      slot_ = i;
      return;
    }
  }
}

TempFileGuard::~TempFileGuard() {
  if (slot_ >= 0) g_slots[slot_].state.store(0);
}

void remove_temp_files_now() {
  for (Slot& s : g_slots) {
    if (s.state.load() == 2) ::unlink(s.path);
  }
}

}  // namespace gen
