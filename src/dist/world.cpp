#include "dist/world.h"

#include <spdlog/spdlog.h>

#include <map>

#ifdef GEN_WITH_GLOO
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

#include "util/errors.h"

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

#ifdef GEN_WITH_GLOO
// One c10d process group; a collective that fails (a rank gone, a timeout) becomes a
// TrainingError naming this rank.
class C10dWorld : public World {
 public:
  C10dWorld(c10::intrusive_ptr<c10d::ProcessGroupGloo> group, c10::intrusive_ptr<c10d::Store> store, int64_t rank,
            int64_t size, std::string backend)
      : group_(std::move(group)), store_(std::move(store)), rank_(rank), size_(size), backend_(std::move(backend)) {}

  int64_t rank() const override { return rank_; }
  int64_t size() const override { return size_; }
  std::string backend() const override { return backend_; }

  void sum(const torch::Tensor& tensor) const override {
    std::vector<torch::Tensor> one{tensor};
    run("all-reduce", [&] { return group_->allreduce(one); });
  }

  std::unique_ptr<PendingSum> start_sum(const torch::Tensor& flat) const override {
    auto pending = std::make_unique<Pending>(*this, flat);
    try {
      pending->work = group_->allreduce(pending->tensors);
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
      for (const auto& t : group) flat_parts.push_back(t.reshape(-1));
      std::vector<torch::Tensor> buffer{torch::cat(flat_parts)};
      c10d::BroadcastOptions options;
      options.rootRank = root;
      run("broadcast", [&] { return group_->broadcast(buffer, options); });
      int64_t at = 0;
      for (const auto& t : group) {
        t.copy_(buffer[0].narrow(0, at, t.numel()).view_as(t));
        at += t.numel();
      }
    }
  }

  void note_progress(int64_t step) const override {
    step_ = step;
    try {
      const std::string text = std::to_string(step);
      store_->set(progress_key(rank_), std::vector<uint8_t>(text.begin(), text.end()));
    } catch (const std::exception&) {
      // The store's host is gone: the next collective says so.
    }
  }

 private:
  static std::string progress_key(int64_t rank) { return "gen/progress/" + std::to_string(rank); }

  // Which ranks are behind this one, from the steps each rank left in the store; "" when none
  // (or the store cannot tell: its host, rank 0, may be the one that is gone).
  std::string silent_ranks() const {
    std::string behind;
    try {
      store_->setTimeout(std::chrono::seconds(5));
      for (int64_t r = 0; r < size_; ++r) {
        if (r == rank_) continue;
        int64_t step = -1;
        if (store_->check({progress_key(r)})) {
          const std::vector<uint8_t> v = store_->get(progress_key(r));
          step = std::stoll(std::string(v.begin(), v.end()));
        }
        if (step < step_) {
          behind += fmt::format("{}rank {} ({})", behind.empty() ? "" : ", ", r,
                                step < 0 ? std::string("no step yet") : "last at step " + std::to_string(step));
        }
      }
    } catch (const std::exception&) {
      return "";
    }
    return behind;
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
  // line naming this rank and the ranks behind it.
  [[noreturn]] void fail(const char* what, const std::exception& e) const {
    const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
    const std::string msg = c10_error ? c10_error->what_without_backtrace() : e.what();
    const std::string behind = silent_ranks();
    throw TrainingError(fmt::format("rank {} of {} at step {}: {} failed ({}): {} (runtime.dist_timeout)", rank_, size_,
                                    step_, what, first_line_of(msg),
                                    behind.empty() ? "another rank stopped or did not answer in time"
                                                   : behind + " stopped answering"));
  }

  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
  c10::intrusive_ptr<c10d::Store> store_;
  int64_t rank_, size_;
  std::string backend_;
  mutable int64_t step_ = 0;  // the step this rank last reported
};
#endif

}  // namespace

std::unique_ptr<PendingSum> World::start_sum(const torch::Tensor& /*flat*/) const { return std::make_unique<DoneSum>(); }

const World& world() { return *current(); }

void join_world(const LaunchEnv& env, DistBackend backend, std::chrono::seconds timeout, const torch::Device& device) {
  if (!env.distributed()) return;
  if (backend == DistBackend::kNccl || (backend == DistBackend::kAuto && device.is_cuda())) {
    throw UsageError("runtime.dist_backend: NCCL is not in this build yet; use runtime.dist_backend: gloo");
  }
#ifndef GEN_WITH_GLOO
  (void)timeout;
  throw UsageError(fmt::format("{} launched rank {} of {}, but this gen was built without c10d's Gloo backend "
                               "(install libgloo-dev and rebuild)",
                               env.launcher, env.rank, env.world_size));
#else
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
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  try {
    group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, int(env.rank), int(env.world_size), gloo);
  } catch (const std::exception& e) {
    throw TrainingError(fmt::format("rank {} of {}: the Gloo group did not form within runtime.dist_timeout: {}",
                                    env.rank, env.world_size, first_line_of(e.what())));
  }
  current() = std::make_unique<C10dWorld>(group, store, env.rank, env.world_size, "gloo");
  spdlog::info("rank {} of {} ({}; local rank {}), Gloo over {}:{}", env.rank, env.world_size, env.launcher,
               env.local_rank, env.master_addr, env.master_port);
#endif
}

}  // namespace gen
