// The data-parallel job this process belongs to, as c10d runs it: the one process group every
// collective of gen goes through (torch.distributed's default group). Without a launcher the
// world is this process alone and every collective returns at once.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "dist/launch_env.h"

namespace gen {

// A sum over the ranks that has been started and not yet waited for (World::start_sum).
class PendingSum {
 public:
  virtual ~PendingSum() = default;
  // Returns when every rank's values are summed into the tensor; throws as World::sum does.
  virtual void wait() = 0;
};

class World {
 public:
  virtual ~World() = default;
  virtual int64_t rank() const { return 0; }
  virtual int64_t size() const { return 1; }
  virtual std::string backend() const { return "none"; }
  bool is_main() const { return rank() == 0; }
  // Whether this process is in a c10d group (a world of one under torchrun included).
  bool joined() const { return backend() != "none"; }

  // In place: the sum over ranks.
  virtual void sum(const torch::Tensor& /*tensor*/) const {}
  // sum(), returning at once: the caller goes on working while the ranks exchange `flat`
  // (contiguous, left untouched until wait()). Collectives start in the same order on every rank.
  virtual std::unique_ptr<PendingSum> start_sum(const torch::Tensor& flat) const;
  // In place: rank `root`'s values on every rank (one flat buffer per dtype).
  virtual void broadcast(const std::vector<torch::Tensor>& /*tensors*/, int64_t /*root*/) const {}
  // The step this rank is about to train, for the message of a collective that fails (which
  // also names the ranks that did not answer the roll call the failure starts).
  virtual void note_progress(int64_t /*step*/) const {}
};

// The world this process is in (a one-process world until join_world).
const World& world();

// The c10d backends compiled into this gen ("Gloo", "NCCL"), for gen --version.
std::vector<std::string> compiled_dist_backends();

// Whether `backend` (runtime.dist_backend) means NCCL for a run on `device` (auto: NCCL on CUDA).
bool uses_nccl(DistBackend backend, const torch::Device& device);

// The GPU a rank takes when the config says device auto or cuda: its local rank's (one GPU per
// rank, as torchrun users set with torch.cuda.set_device(LOCAL_RANK)); with Gloo, more ranks
// than GPUs share them in turn, NCCL refuses (UsageError naming the local rank).
int64_t rank_gpu(int64_t local_rank, int64_t gpus, bool nccl);

// Joins the job `env` describes through c10d (a no-op for one process): a TCP store at
// MASTER_ADDR:MASTER_PORT (rank 0 serves it, or torchrun's agent does), then the backend
// (Gloo, or NCCL on the rank's GPU `device`). Collectives that wait longer than `timeout`
// fail, naming this rank. Throws UsageError when this build has no backend for `device`.
// `local_sums` (runtime.dist_local_sums): with Gloo and every rank on this machine, small sums go
// through shared memory (dist/local_sum.h).
void join_world(const LaunchEnv& env, DistBackend backend, std::chrono::seconds timeout, const torch::Device& device,
                bool local_sums);

}  // namespace gen
