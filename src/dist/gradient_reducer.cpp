#include "dist/gradient_reducer.h"

#include <spdlog/spdlog.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "dist/stop_vote.h"
#include "dist/world.h"

namespace gen {

namespace {
constexpr double kMiB = 1024.0 * 1024.0;  // DDP's bucket_cap_mb counts these
constexpr double kFirstBucketMb = 1.0;    // as DDP: the first bucket leaves early, small
}

struct GradientReducer::State {
  struct Bucket {
    std::vector<size_t> params;  // indices into State::params
    std::vector<int64_t> offsets;
    torch::Tensor flat;          // the bucket's gradients, plus the stop vote in the last bucket
    bool votes = false;
    size_t waiting = 0;          // parameters whose gradient is not complete yet
    std::unique_ptr<PendingSum> sum;
  };

  std::vector<torch::Tensor> params;
  double bucket_mb = 0;
  std::vector<size_t> bucket_of;
  // Kept alive: they carry the hooks. A std::shared_ptr on LibTorch 1.13, a c10::intrusive_ptr on 2.x.
  using NodeHandle = decltype(torch::autograd::impl::grad_accumulator(std::declval<const torch::Tensor&>()));
  std::vector<NodeHandle> accumulators;
  std::vector<Bucket> buckets;

  std::mutex mutex;  // hooks run on the autograd engine's threads (a device's, under CUDA)
  int64_t expected = 0;                 // backward passes per step; 0 between steps
  std::vector<int64_t> seen;            // per parameter, in this step
  size_t next = 0;                      // buckets leave in index order, the same on every rank
  size_t early = 0;                     // buckets sent by the hooks in this step
  bool too_many = false;
  bool reported = false;  // the first step's line is logged

  void launch(size_t b) {
    Bucket& bucket = buckets[b];
    torch::NoGradGuard no_grad;
    for (size_t k = 0; k < bucket.params.size(); ++k) {
      const torch::Tensor& g = params[bucket.params[k]].grad();
      auto slot = bucket.flat.narrow(0, bucket.offsets[k], params[bucket.params[k]].numel());
      if (g.defined()) {
        slot.copy_(g.reshape(-1));
      } else {
        slot.zero_();
      }
    }
    if (bucket.votes) {
      float vote[kStopVoteSize];
      write_stop_vote(vote);
      bucket.flat.narrow(0, bucket.flat.numel() - kStopVoteSize, kStopVoteSize)
          .copy_(torch::from_blob(vote, {kStopVoteSize}, torch::kFloat));
    }
    bucket.sum = world().start_sum(bucket.flat);
  }

  // Hook: parameter `i`'s gradient has been accumulated once more.
  void ready(size_t i) {
    std::lock_guard<std::mutex> lock(mutex);
    if (expected == 0) return;  // a backward pass outside an optimizer step: finish() sends all
    if (++seen[i] > expected) {
      too_many = true;  // its bucket may have left with a partial gradient
      return;
    }
    if (seen[i] < expected || --buckets[bucket_of[i]].waiting > 0) return;
    while (next < buckets.size() && buckets[next].waiting == 0) {
      launch(next++);
      ++early;
    }
  }
};

namespace {

// Runs after AccumulateGrad has added this backward pass's gradient to the parameter's .grad.
class GradReady : public torch::autograd::FunctionPostHook {
 public:
  GradReady(std::weak_ptr<GradientReducer::State> state, size_t index) : state_(std::move(state)), index_(index) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& /*inputs*/) override {
    if (auto s = state_.lock()) s->ready(index_);
    return outputs;
  }

 private:
  std::weak_ptr<GradientReducer::State> state_;
  size_t index_;
};

}  // namespace

GradientReducer::GradientReducer(const std::vector<torch::Tensor>& params, double bucket_mb)
    : state_(std::make_shared<State>()) {
  State& s = *state_;
  s.params = params;
  s.bucket_mb = bucket_mb;
  s.bucket_of.assign(params.size(), SIZE_MAX);
  s.seen.assign(params.size(), 0);
  s.accumulators.resize(params.size());
  // Buckets in reverse registration order (the backward pass reaches the last layers first),
  // one dtype and device each; the stop vote is kStopVoteSize more values at the end of the
  // last one. A parameter that does not require a gradient (a fixed scale) is never trained.
  const double first_cap = std::min(bucket_mb, kFirstBucketMb) * kMiB;
  double bytes = 0;
  for (size_t k = params.size(); k-- > 0;) {
    const torch::Tensor& p = params[k];
    if (!p.requires_grad()) continue;
    const double size = double(p.numel()) * double(p.element_size());
    const double cap = s.buckets.size() == 1 ? first_cap : bucket_mb * kMiB;  // of the bucket being filled
    const bool fits = !s.buckets.empty() && bytes + size <= cap &&
                      s.params[s.buckets.back().params.front()].options().type_equal(p.options());
    if (!fits) {
      s.buckets.emplace_back();
      bytes = 0;
    }
    State::Bucket& bucket = s.buckets.back();
    bucket.offsets.push_back(bucket.params.empty() ? 0 : bucket.offsets.back() + params[bucket.params.back()].numel());
    bucket.params.push_back(k);
    s.bucket_of[k] = s.buckets.size() - 1;
    bytes += size;
  }
  for (size_t b = 0; b < s.buckets.size(); ++b) {
    State::Bucket& bucket = s.buckets[b];
    const torch::Tensor& last = params[bucket.params.back()];
    bucket.votes = b + 1 == s.buckets.size() && last.scalar_type() == torch::kFloat;
    const int64_t n = bucket.offsets.back() + last.numel() + (bucket.votes ? kStopVoteSize : 0);
    bucket.flat = torch::zeros({n}, last.options().requires_grad(false));
  }
  for (size_t k = 0; k < params.size(); ++k) {
    if (s.bucket_of[k] == SIZE_MAX) continue;
    s.accumulators[k] = torch::autograd::impl::grad_accumulator(params[k]);
    s.accumulators[k]->add_post_hook(std::make_unique<GradReady>(state_, k));
  }
}

GradientReducer::~GradientReducer() = default;

void GradientReducer::expect(int64_t backwards) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mutex);
  s.expected = backwards;
  std::fill(s.seen.begin(), s.seen.end(), 0);
  for (auto& bucket : s.buckets) bucket.waiting = bucket.params.size();
  s.next = 0;
  s.early = 0;
  s.too_many = false;
}

void GradientReducer::finish() {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mutex);
  s.expected = 0;  // the backward passes of this step are over
  while (s.next < s.buckets.size()) s.launch(s.next++);
  const size_t early = s.early;
  const bool first = !s.reported;
  s.reported = true;
  const bool too_many = s.too_many;
  lock.unlock();
  if (too_many) {
    throw std::logic_error("GradientReducer: a parameter's gradient was accumulated more often than expect() said");
  }
  torch::NoGradGuard no_grad;
  const double ranks = double(world().size());
  for (auto& bucket : s.buckets) {
    bucket.sum->wait();
    bucket.sum.reset();
    if (bucket.votes) {
      const torch::Tensor sums = bucket.flat.narrow(0, bucket.flat.numel() - kStopVoteSize, kStopVoteSize).cpu();
      record_stop_vote(agreed_stop_signal(sums.data_ptr<float>()));
    }
    bucket.flat.div_(ranks);
    for (size_t k = 0; k < bucket.params.size(); ++k) {
      const torch::Tensor& p = s.params[bucket.params[k]];
      if (!p.grad().defined()) continue;
      p.grad().copy_(bucket.flat.narrow(0, bucket.offsets[k], p.numel()).view(p.grad().sizes()));
    }
  }
  if (first && world().is_main()) {
    int64_t n = 0;
    for (const auto& bucket : s.buckets) n += bucket.offsets.back() + s.params[bucket.params.back()].numel();
    spdlog::info("gradients of {} parameters: {} bucket(s) of at most {} MiB, {} all-reduced during the backward pass",
                 n, s.buckets.size(), s.bucket_mb, early);
  }
}

}  // namespace gen
