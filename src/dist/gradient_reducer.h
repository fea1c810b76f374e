// Averages one network's gradients over the ranks of a data-parallel job, overlapped with the
// backward pass: the parameters are grouped into buckets (last layers first, the order in which
// the backward pass produces their gradients), a hook after each parameter's gradient
// accumulation counts it in, and a bucket whose gradients are all in is all-reduced at once,
// while the backward pass goes on through the earlier layers. This is what PyTorch's DDP
// Reducer does; LibTorch's C++ modules have no DDP, and the Reducer's own constructor is an
// internal API that differs between LibTorch 1.13 and 2.x (docs/DATA_PARALLEL.md).
//
// The step's last bucket also carries this rank's stop vote (dist/stop_vote.h).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace gen {

class GradientReducer {
 public:
  // `params`: one network's trained parameters (in registration order); `bucket_mb`: the MiB
  // per bucket (runtime.dist_bucket_mb; the first holds at most 1 MiB).
  GradientReducer(const std::vector<torch::Tensor>& params, double bucket_mb);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // The next `backwards` backward passes make this step's gradients (train.accumulate micro-
  // batches): a bucket leaves when the last of them has produced it.
  void expect(int64_t backwards);
  // Sends the buckets the hooks did not (parameters without a gradient, or a backward pass that
  // did not run through them), waits for all of them, and leaves the mean over the ranks in
  // every parameter's gradient. Correct whether or not any hook ran; the hooks only move the
  // all-reduce earlier.
  void finish();

  struct State;  // opaque; shared with the hooks, which hold it weakly

 private:
  std::shared_ptr<State> state_;
};

}  // namespace gen
