// Sums of CPU tensors between the ranks of one machine through shared memory.
//
// A Gloo all-reduce of a few values costs milliseconds on a small machine, in PyTorch as in gen:
// the work passes between Gloo's worker, network and caller threads, each a wake-up
// (docs/DATA_PARALLEL.md; figures in docs/RESULTS.md). Synchronized BatchNorm makes one such
// exchange per layer per pass, and a net's gradient buckets one each. Here each rank copies its
// tensor into its slot of a mapped segment, publishes a sequence number and, once every rank
// has published, adds the slots up in rank order: no thread hand-off; a waiting rank spins
// briefly, then sleeps on a futex (each publish wakes the sleepers: one system call). A tensor
// larger than a slot goes through in slot-sized pieces, one such round each.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace gen {

class LocalSum {
 public:
  // Bytes per rank per round: a larger tensor takes several rounds.
  static constexpr size_t kSlotBytes = 256 * 1024;

  // Rank 0: a new segment for `size` ranks under a fresh name (name()). Throws std::runtime_error.
  static std::unique_ptr<LocalSum> create(int64_t size, std::chrono::milliseconds timeout);
  // Ranks 1..size-1: the segment rank 0 created. Throws std::runtime_error.
  static std::unique_ptr<LocalSum> attach(const std::string& name, int64_t rank, int64_t size,
                                          std::chrono::milliseconds timeout);
  ~LocalSum();
  LocalSum(const LocalSum&) = delete;
  LocalSum& operator=(const LocalSum&) = delete;

  const std::string& name() const { return name_; }
  // Once every rank has attached: removes the name, so nothing is left in /dev/shm however the
  // job ends (the mappings stay).
  void unlink();

  // Whether `t` can go through the segment (a contiguous CPU tensor).
  static bool fits(const torch::Tensor& t);
  // In place: the sum over ranks, added in rank order (the same bits on every rank). Every rank
  // calls it in the same order with a tensor of the same dtype and size. Throws
  // std::runtime_error naming a rank that did not arrive within the timeout or that exited.
  void sum(const torch::Tensor& t);

 private:
  LocalSum(std::string name, int64_t rank, int64_t size, std::chrono::milliseconds timeout, void* base, size_t bytes);
  static size_t segment_bytes(int64_t size);
  void sum_piece(const torch::Tensor& piece);  // at most kSlotBytes
  void wait_for(int64_t peer, uint32_t seq);

  std::string name_;
  int64_t rank_, size_;
  std::chrono::milliseconds timeout_;
  void* base_;
  size_t bytes_;
  bool linked_;
  uint32_t seq_ = 0;
  uint64_t own_pid_namespace_;  // a peer in the same one that exited is noticed by its pid
};

}  // namespace gen
