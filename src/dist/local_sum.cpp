#include "dist/local_sum.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

namespace gen {

namespace {

using Clock = std::chrono::steady_clock;

// One rank's flag, a cache line of its own: the last sum it published, its process id and PID
// namespace (a peer's id means something here only within the same namespace).
struct alignas(64) RankState {
  std::atomic<uint32_t> seq;
  int32_t pid;
  uint64_t pid_namespace;
};

uint64_t own_pid_namespace() {
  struct stat st {};
  return stat("/proc/self/ns/pid", &st) == 0 ? uint64_t(st.st_ino) : 0;
}
static_assert(std::atomic<uint32_t>::is_always_lock_free, "a futex word must be a plain 32-bit word");

constexpr size_t kHeader = 4096;  // room for the RankStates of up to 64 ranks
constexpr int64_t kMaxRanks = int64_t(kHeader / sizeof(RankState));
// How long a waiting rank polls before it sleeps: long enough to cover the skew between ranks
// that compute the same thing, short enough not to hold a CPU another thread needs.
constexpr std::chrono::microseconds kSpin{200};

RankState* rank_states(void* base) { return static_cast<RankState*>(base); }

// Sequence numbers wrap; s has arrived at `seq` when it is not behind it.
bool seq_reached(uint32_t s, uint32_t seq) { return int32_t(s - seq) >= 0; }

void futex_wake_all(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

// Sleeps while *word == seen, at most `limit` (a shared mapping: not FUTEX_PRIVATE).
void futex_wait(std::atomic<uint32_t>* word, uint32_t seen, std::chrono::microseconds limit) {
  timespec ts{static_cast<time_t>(limit.count() / 1000000), static_cast<long>(limit.count() % 1000000) * 1000};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, seen, &ts, nullptr, 0);
}

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::runtime_error(fmt::format("{}: {}", what, std::strerror(errno)));
}

void* map_shared(int fd, size_t bytes, const std::string& name) {
  void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) throw_errno("mmap of shared memory " + name);
  return base;
}

}  // namespace

size_t LocalSum::segment_bytes(int64_t size) { return kHeader + 2 * size_t(size) * kSlotBytes; }

LocalSum::LocalSum(std::string name, int64_t rank, int64_t size, std::chrono::milliseconds timeout, void* base,
                   size_t bytes)
    : name_(std::move(name)),
      rank_(rank),
      size_(size),
      timeout_(timeout),
      base_(base),
      bytes_(bytes),
      linked_(rank == 0),
      own_pid_namespace_(own_pid_namespace()) {
  rank_states(base_)[rank_].pid = int32_t(getpid());
  rank_states(base_)[rank_].pid_namespace = own_pid_namespace_;
}

LocalSum::~LocalSum() {
  if (linked_) shm_unlink(name_.c_str());
  munmap(base_, bytes_);
}

std::unique_ptr<LocalSum> LocalSum::create(int64_t size, std::chrono::milliseconds timeout) {
  if (size < 2 || size > kMaxRanks) throw std::runtime_error(fmt::format("{} ranks: not 2 to {}", size, kMaxRanks));
  std::random_device entropy;
  const std::string name = fmt::format("/gen-sum-{}-{:08x}", getpid(), entropy());
  const int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  if (fd < 0) throw_errno("shm_open " + name);
  const size_t bytes = segment_bytes(size);
  void* base = nullptr;
  try {
    if (ftruncate(fd, off_t(bytes)) != 0) throw_errno("ftruncate of shared memory " + name);
    base = map_shared(fd, bytes, name);
  } catch (...) {
    close(fd);
    shm_unlink(name.c_str());
    throw;
  }
  close(fd);
  return std::unique_ptr<LocalSum>(new LocalSum(name, 0, size, timeout, base, bytes));
}

std::unique_ptr<LocalSum> LocalSum::attach(const std::string& name, int64_t rank, int64_t size,
                                           std::chrono::milliseconds timeout) {
  const int fd = shm_open(name.c_str(), O_RDWR, 0);
  if (fd < 0) throw_errno("shm_open " + name);
  struct stat st {};
  const size_t bytes = segment_bytes(size);
  if (fstat(fd, &st) != 0 || size_t(st.st_size) != bytes) {
    close(fd);
    throw std::runtime_error(fmt::format("shared memory {} holds {} bytes, {} ranks need {}", name,
                                         static_cast<long long>(st.st_size), size, bytes));
  }
  void* base = nullptr;
  try {
    base = map_shared(fd, bytes, name);
  } catch (...) {
    close(fd);
    throw;
  }
  close(fd);
  return std::unique_ptr<LocalSum>(new LocalSum(name, rank, size, timeout, base, bytes));
}

void LocalSum::unlink() {
  if (linked_) shm_unlink(name_.c_str());
  linked_ = false;
}

bool LocalSum::fits(const torch::Tensor& t) { return t.device().is_cpu() && t.is_contiguous(); }

void LocalSum::sum(const torch::Tensor& t) {
  TORCH_CHECK(fits(t), "LocalSum::sum: not a contiguous CPU tensor");
  const torch::Tensor flat = t.view(-1);
  const int64_t per_round = int64_t(kSlotBytes / t.element_size());
  for (int64_t first = 0; first < flat.numel(); first += per_round) {
    const torch::Tensor piece = flat.narrow(0, first, std::min(per_round, flat.numel() - first));
    sum_piece(piece);
  }
}

void LocalSum::sum_piece(const torch::Tensor& piece) {
  const uint32_t seq = ++seq_;
  // Two buffers, used in turn: a rank writes round n+2's slot only after every rank published
  // round n+1, which each does only after it has read round n's slots.
  char* buffers = static_cast<char*>(base_) + kHeader + size_t(seq & 1) * size_t(size_) * kSlotBytes;
  auto slot = [&](int64_t r) { return buffers + size_t(r) * kSlotBytes; };
  std::memcpy(slot(rank_), piece.data_ptr(), piece.nbytes());
  RankState* s = rank_states(base_);
  s[rank_].seq.store(seq, std::memory_order_release);
  futex_wake_all(&s[rank_].seq);
  for (int64_t r = 0; r < size_; ++r) {
    if (r != rank_) wait_for(r, seq);
  }
  torch::NoGradGuard no_grad;
  piece.copy_(torch::from_blob(slot(0), piece.sizes(), piece.options()));
  for (int64_t r = 1; r < size_; ++r) piece.add_(torch::from_blob(slot(r), piece.sizes(), piece.options()));
}

void LocalSum::wait_for(int64_t peer, uint32_t seq) {
  std::atomic<uint32_t>& flag = rank_states(base_)[peer].seq;
  if (seq_reached(flag.load(std::memory_order_acquire), seq)) return;
  const auto start = Clock::now();
  for (int i = 0;; ++i) {
    if (seq_reached(flag.load(std::memory_order_acquire), seq)) return;
    if ((i & 63) == 0 && Clock::now() - start > kSpin) break;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  // Ranks attach before any sum, so a peer's pid is there by now.
  const RankState& them = rank_states(base_)[peer];
  const int32_t pid = them.pid;
  const bool watch = pid > 0 && them.pid_namespace != 0 && them.pid_namespace == own_pid_namespace_;
  const auto deadline = start + timeout_;
  for (;;) {
    const uint32_t seen = flag.load(std::memory_order_acquire);
    if (seq_reached(seen, seq)) return;
    futex_wait(&flag, seen, std::chrono::milliseconds(50));
    if (seq_reached(flag.load(std::memory_order_acquire), seq)) return;
    if (watch && kill(pid, 0) != 0 && errno == ESRCH) {
      throw std::runtime_error(fmt::format("rank {} (process {}) exited", peer, pid));
    }
    if (Clock::now() > deadline) {
      throw std::runtime_error(fmt::format("rank {} did not arrive within {} s", peer, timeout_.count() / 1000));
    }
  }
}

}  // namespace gen
