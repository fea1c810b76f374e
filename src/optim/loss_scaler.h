// Dynamic loss scaling for float16 training, the algorithm of PyTorch's GradScaler, with its
// state on the device so that no step waits for the host: the loss is multiplied by the scale
// before backward, the gradients divided by it before the update (NetOptimizer::step, with the
// clipping); a step whose gradients
// overflowed is skipped and the scale halved; after `interval` clean steps in a row it doubles.
// Disabled (every call the identity), it costs nothing: bf16 and float32 need no scaling.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace gen {

class LossScaler {
 public:
  struct Settings {
    double init = 65536.0;  // 2^16, GradScaler's
    double growth = 2.0;
    double backoff = 0.5;
    int64_t interval = 2000;
  };
  LossScaler(bool enabled, const torch::Device& device, Settings settings);
  LossScaler(bool enabled, const torch::Device& device) : LossScaler(enabled, device, Settings{}) {}

  bool enabled() const { return enabled_; }
  // loss * scale (the loss itself when disabled).
  torch::Tensor scale(const torch::Tensor& loss) const;
  // The current scale, 0-dim float on the device (1 when disabled).
  torch::Tensor current() const;
  // After a step: `found_inf` (0-dim bool) says its gradients were not finite. Backs off or
  // grows the scale; returns, as 0-dim float, whether the overflow is the gradients' own fault
  // rather than the scale's (it happened at a scale of 1 or less): the non-finite guard counts
  // those steps, not the ones the scaler skips while it finds its level.
  torch::Tensor update(const torch::Tensor& found_inf);

  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  bool enabled_;
  Settings settings_;
  torch::Tensor scale_;    // 0-dim float
  torch::Tensor streak_;   // 0-dim int64: clean steps since the last change
};

}  // namespace gen
