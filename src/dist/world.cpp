#include "dist/world.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#if defined(GEN_WITH_GLOO) || defined(GEN_WITH_NCCL)
#define GEN_WITH_C10D 1
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef GEN_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef GEN_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "dist/local_sum.h"
#include "util/errors.h"
#include "util/interrupt.h"

namespace gen {

namespace {

std::string first_line_of(const std::string& message) { return message.substr(0, message.find('\n')); }

// A one-process world's sums are done when they start.
class DoneSum : public PendingSum {
 public:
  void wait() override {}
};

std::unique_ptr<World>& current() {
  static std::unique_ptr<World> w = std::make_unique<World>();
  return w;
}

#ifdef GEN_WITH_C10D
// The collectives of one c10d process group, whatever its class (ProcessGroupGloo or
// ProcessGroupNCCL; their common base is ProcessGroup in LibTorch 1.13, Backend in 2.x).
struct Group {
  std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&)> allreduce;
  std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&, const c10d::BroadcastOptions&)> broadcast;
  // Where its tensors must live: NCCL reduces only the rank's GPU memory (a CPU tensor, a
  // metric sum or the stop vote, goes there and back); Gloo takes CPU and CUDA tensors.
  std::optional<torch::Device> device;
};

template <class ProcessGroup>
Group group_of(c10::intrusive_ptr<ProcessGroup> pg, std::optional<torch::Device> device) {
  Group g;
  g.allreduce = [pg](std::vector<at::Tensor>& t) { return pg->allreduce(t); };
  g.broadcast = [pg](std::vector<at::Tensor>& t, const c10d::BroadcastOptions& o) { return pg->broadcast(t, o); };
  g.device = device;
  return g;
}

// One c10d process group; a collective that fails (a rank gone, a timeout) becomes a
// TrainingError naming this rank.
class C10dWorld : public World {
 public:
  C10dWorld(Group group, c10::intrusive_ptr<c10d::Store> store, int64_t rank, int64_t size, std::string backend)
      : group_(std::move(group)), store_(std::move(store)), rank_(rank), size_(size), backend_(std::move(backend)) {}

  int64_t rank() const override { return rank_; }
  int64_t size() const override { return size_; }
  std::string backend() const override { return backend_; }

  // Small CPU sums through shared memory from now on (every rank sets the same, or none).
  void use_local_sums(std::unique_ptr<LocalSum> local) { local_ = std::move(local); }

  void sum(const torch::Tensor& tensor) const override {
    if (local_ && LocalSum::fits(tensor)) {
      try {
        local_->sum(tensor);
      } catch (const std::exception& e) {
        fail("all-reduce", e);
      }
      return;
    }
    std::vector<torch::Tensor> one{on_group_device(tensor)};
    run("all-reduce", [&] { return group_.allreduce(one); });
    if (!one[0].is_same(tensor)) tensor.copy_(one[0]);
  }

  std::unique_ptr<PendingSum> start_sum(const torch::Tensor& flat) const override {
    TORCH_CHECK(!group_.device || flat.device() == *group_.device, "start_sum: the tensor is not on the group's device");
    if (local_ && LocalSum::fits(flat)) {  // done before Gloo would have started it
      sum(flat);
      return std::make_unique<DoneSum>();
    }
    auto pending = std::make_unique<Pending>(*this, flat);
    try {
      pending->work = group_.allreduce(pending->tensors);
    } catch (const std::exception& e) {
      fail("all-reduce", e);
    }
    return pending;
  }

  void broadcast(const std::vector<torch::Tensor>& tensors, int64_t root) const override {
    torch::NoGradGuard no_grad;  // weights are leaves that require grad
    std::map<c10::ScalarType, std::vector<torch::Tensor>> by_type;
    for (const auto& t : tensors) by_type[t.scalar_type()].push_back(t);
    for (const auto& [type, group] : by_type) {
      std::vector<torch::Tensor> flat_parts;
      for (const auto& t : group) flat_parts.push_back(on_group_device(t).reshape(-1));
      std::vector<torch::Tensor> buffer{torch::cat(flat_parts)};
      c10d::BroadcastOptions options;
      options.rootRank = root;
      run("broadcast", [&] { return group_.broadcast(buffer, options); });
      int64_t at = 0;
      for (const auto& t : group) {
        t.copy_(buffer[0].narrow(0, at, t.numel()).view_as(t));
        at += t.numel();
      }
    }
  }

  void note_progress(int64_t step) const override { step_ = step; }

 private:
  // How long a roll call waits for the other ranks. The ranks still alive meet the failure
  // within a step of each other (a peer's closed connection fails every collective at once; a
  // timeout fires on each rank that entered the same collective, a compute skew apart).
  static constexpr std::chrono::milliseconds kRollCall{2000};
  static std::string roll_call_key(int64_t rank) { return "gen/roll_call/" + std::to_string(rank); }

  // After a failed collective: this rank answers a roll call in the job's store and waits for
  // the others; the ranks that do not answer are the ones that stopped ("" when all did, or
  // when the store cannot tell: its host, rank 0, may be the one that is gone). Nothing is
  // written while training goes well, so a step pays no store round trip.
  std::string silent_ranks() const {
    std::vector<int64_t> missing;
    try {
      store_->setTimeout(std::chrono::seconds(5));
      const std::string step = std::to_string(step_);
      store_->set(roll_call_key(rank_), std::vector<uint8_t>(step.begin(), step.end()));
      for (int64_t r = 0; r < size_; ++r) {
        if (r != rank_) missing.push_back(r);
      }
      const auto deadline = std::chrono::steady_clock::now() + kRollCall;
      while (!missing.empty()) {
        missing.erase(std::remove_if(missing.begin(), missing.end(),
                                     [&](int64_t r) { return store_->check({roll_call_key(r)}); }),
                      missing.end());
        if (missing.empty() || std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    } catch (const std::exception&) {
      return "";
    }
    std::string silent;
    for (const int64_t r : missing) silent += fmt::format("{}rank {}", silent.empty() ? "" : ", ", r);
    return silent;
  }


  // An all-reduce in flight; the tensors stay alive until it is waited for.
  struct Pending : PendingSum {
    Pending(const C10dWorld& w, const torch::Tensor& flat) : world(w), tensors{flat} {}
    void wait() override {
      try {
        work->wait();
      } catch (const std::exception& e) {
        world.fail("all-reduce", e);
      }
    }
    const C10dWorld& world;
    std::vector<torch::Tensor> tensors;
    c10::intrusive_ptr<c10d::Work> work;
  };

  template <class Start>
  void run(const char* what, Start start) const {
    try {
      start()->wait();
    } catch (const std::exception& e) {
      fail(what, e);
    }
  }

  // A collective that failed (c10::Error, or Gloo's own: a peer's connection reset), as one
  // line naming this rank and the ranks that did not answer the roll call.
  [[noreturn]] void fail(const char* what, const std::exception& e) const {
    const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
    const std::string msg = c10_error ? c10_error->what_without_backtrace() : e.what();
    const std::string silent = silent_ranks();
    throw TrainingError(fmt::format("rank {} of {} at step {}: {} failed ({}): {} (runtime.dist_timeout)", rank_, size_,
                                    step_, what, first_line_of(msg),
                                    silent.empty() ? "another rank stopped or did not answer in time"
                                                   : fmt::format("{} stopped answering (no answer to the roll call "
                                                                 "within {} s of the failure)",
                                                                 silent, kRollCall.count() / 1000)));
  }

  torch::Tensor on_group_device(const torch::Tensor& t) const {
    return group_.device && t.device() != *group_.device ? t.to(*group_.device) : t;
  }

  Group group_;
  std::unique_ptr<LocalSum> local_;
  c10::intrusive_ptr<c10d::Store> store_;
  int64_t rank_, size_;
  std::string backend_;
  mutable int64_t step_ = 0;  // the step this rank is training, for its messages
};
#endif

}  // namespace

std::unique_ptr<PendingSum> World::start_sum(const torch::Tensor& /*flat*/) const { return std::make_unique<DoneSum>(); }

const World& world() { return *current(); }

bool uses_nccl(DistBackend backend, const torch::Device& device) {
  return backend == DistBackend::kNccl || (backend == DistBackend::kAuto && device.is_cuda());
}

int64_t rank_gpu(int64_t local_rank, int64_t gpus, bool nccl) {
  if (gpus <= 0) throw UsageError("no CUDA GPU is visible to this rank");
  if (nccl && local_rank >= gpus) {
    throw UsageError(fmt::format("local rank {}: NCCL needs a GPU per rank and this machine shows {} (start at most "
                                 "{} ranks per machine, or share the GPUs with runtime.dist_backend: gloo)",
                                 local_rank, gpus, gpus));
  }
  return local_rank % gpus;
}

namespace {
// Ctrl-C or SIGTERM while the ranks join: the store and the group block inside LibTorch until
// runtime.dist_timeout (600 s by default) waiting for a rank the signal may already have ended.
// Nothing has been written yet (the run folder is opened after the join), so the rank exits at
// once with the signal's code.
class JoinWatch {
 public:
  explicit JoinWatch(int64_t rank)
      : thread_([this, rank] {
          while (!done_) {
            if (interrupt_requested()) {
              spdlog::warn("{} while rank {} joined the data-parallel job: stopped, nothing was written",
                           interrupt_name(), rank);
              spdlog::default_logger()->flush();
              std::_Exit(static_cast<int>(interrupt_exit_code()));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }) {}
  ~JoinWatch() {
    done_ = true;
    thread_.join();
  }
  JoinWatch(const JoinWatch&) = delete;
  JoinWatch& operator=(const JoinWatch&) = delete;

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};
}  // namespace

#ifdef GEN_WITH_C10D
namespace {
// Every rank on this machine: rank 0 makes the shared-memory segment and names it in the store,
// the others map it; then one sum over the backend says whether every rank managed, so either
// all ranks use it or none (a failure costs speed only, said once). Null when not all did.
std::unique_ptr<LocalSum> open_local_sums(const World& joined, c10d::Store& store, const LaunchEnv& env,
                                          std::chrono::seconds timeout) {
  const std::string key = "gen/local_sum";
  std::unique_ptr<LocalSum> local;
  std::string why;
  try {
    if (env.rank == 0) {
      local = LocalSum::create(env.world_size, timeout);
      store.set(key, std::vector<uint8_t>(local->name().begin(), local->name().end()));
    } else {
      const std::vector<uint8_t> name = store.get(key);
      local = LocalSum::attach(std::string(name.begin(), name.end()), env.rank, env.world_size, timeout);
    }
  } catch (const std::exception& e) {
    why = first_line_of(e.what());
    if (env.rank == 0 && !local) store.set(key, std::vector<uint8_t>{});  // the others fail to attach to "" and say so
  }
  const torch::Tensor ready = torch::full({1}, local ? 1.0 : 0.0, torch::kDouble);
  joined.sum(ready);  // over the backend: local sums are not in use yet
  const bool all = ready.item<double>() == double(env.world_size);
  if (local) local->unlink();  // every rank has mapped it (or gave up): the name can go
  if (!all) {
    if (!why.empty()) spdlog::warn("rank {}: shared memory for sums not available ({}); Gloo carries them", env.rank, why);
    return nullptr;
  }
  spdlog::info("sums go through shared memory (all {} ranks on this machine; runtime.dist_local_sums)",
               env.world_size);
  return local;
}
}  // namespace
#endif

void join_world(const LaunchEnv& env, DistBackend backend, std::chrono::seconds timeout, const torch::Device& device,
                bool local_sums) {
  if (!env.joins_c10d()) return;
  const JoinWatch watch(env.rank);
  const bool nccl = uses_nccl(backend, device);
  if (nccl && !device.is_cuda()) {
    throw UsageError("runtime.dist_backend: nccl reduces GPU memory only, and this run is on the CPU (use gloo or auto)");
  }
#ifndef GEN_WITH_NCCL
  if (nccl) {
    throw UsageError("runtime.dist_backend: this gen was built without c10d's NCCL backend (a CUDA build finds it in "
                     "the pip PyTorch with nccl.h from its nvidia-nccl package); use runtime.dist_backend: gloo");
  }
#endif
#ifndef GEN_WITH_GLOO
  if (!nccl) {
    throw UsageError(fmt::format("{} launched rank {} of {}, but this gen was built without c10d's Gloo backend "
                                 "(install libgloo-dev and rebuild)",
                                 env.launcher, env.rank, env.world_size));
  }
#endif
#ifdef GEN_WITH_C10D
  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(env.master_port);
  options.isServer = env.rank == 0 && !env.agent_store;
  options.numWorkers = env.agent_store ? c10::nullopt : c10::optional<size_t>(size_t(env.world_size));
  options.waitWorkers = false;
  options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
    if (!env.store_prefix.empty()) store = c10::make_intrusive<c10d::PrefixStore>(env.store_prefix, store);
  } catch (const std::exception& e) {
    throw UsageError(fmt::format("rank {}: cannot reach the job's store at {}:{} (MASTER_ADDR, MASTER_PORT): {}",
                                 env.rank, env.master_addr, env.master_port, first_line_of(e.what())));
  }
  const char* name = nccl ? "NCCL" : "Gloo";
  Group group;
  try {
    if (nccl) {
#ifdef GEN_WITH_NCCL
      // With NCCL's default (TORCH_NCCL_ASYNC_ERROR_HANDLING=3) a watchdog thread tears the
      // process down when a collective times out, before wait() returns: the roll call that
      // names the silent ranks would never run. Blocking waits make wait() throw on the
      // timeout in this thread instead (and switch the watchdog's teardown off); a user's own
      // setting of either variable is kept. docs/DATA_PARALLEL.md, "Failures".
      if (!std::getenv("TORCH_NCCL_BLOCKING_WAIT") && !std::getenv("TORCH_NCCL_ASYNC_ERROR_HANDLING")) {
        setenv("TORCH_NCCL_BLOCKING_WAIT", "1", 0);
      }
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
      group = group_of(c10::make_intrusive<c10d::ProcessGroupNCCL>(store, int(env.rank), int(env.world_size), opts),
                       device);
#endif
    } else {
#ifdef GEN_WITH_GLOO
      auto gloo = c10d::ProcessGroupGloo::Options::create();
      gloo->timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
      const bool local = env.master_addr == "127.0.0.1" || env.master_addr == "localhost";
      if (std::getenv("GLOO_SOCKET_IFNAME")) {
        gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(std::getenv("GLOO_SOCKET_IFNAME")));
      } else if (local) {
        gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      } else {
        gloo->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      group = group_of(c10::make_intrusive<c10d::ProcessGroupGloo>(store, int(env.rank), int(env.world_size), gloo),
                       std::nullopt);
#endif
    }
  } catch (const std::exception& e) {
    throw TrainingError(fmt::format("rank {} of {}: the {} group did not form within runtime.dist_timeout: {}", env.rank,
                                    env.world_size, name, first_line_of(e.what())));
  }
  auto joined = std::make_unique<C10dWorld>(std::move(group), store, env.rank, env.world_size, nccl ? "nccl" : "gloo");
  if (local_sums && !nccl && env.world_size > 1 && env.local_world_size == env.world_size) {
    joined->use_local_sums(open_local_sums(*joined, *store, env, timeout));
  }
  current() = std::move(joined);
  spdlog::info("rank {} of {} ({}; local rank {}), {} over {}:{}", env.rank, env.world_size, env.launcher,
               env.local_rank, name, env.master_addr, env.master_port);
#else
  (void)timeout;
  (void)local_sums;
#endif
}

std::vector<std::string> compiled_dist_backends() {
  std::vector<std::string> backends;
#ifdef GEN_WITH_GLOO
  backends.emplace_back("Gloo");
#endif
#ifdef GEN_WITH_NCCL
  backends.emplace_back("NCCL");
#endif
  return backends;
}

}  // namespace gen
