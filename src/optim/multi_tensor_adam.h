// Adam and AdamW over all of a network's tensors at once, with the `_foreach` ops that PyTorch's
// foreach optimizers use: a fixed handful of calls per step instead of several per tensor (on
// CUDA each is one multi-tensor kernel; on the CPU they run the same per-tensor kernels as
// torch::optim, so the arithmetic is torch::optim::Adam/AdamW's bit for bit: tests/optim).
// Or with `_fused_adam(w)_` (PyTorch's `fused=True`): one pass over each tensor that reads
// and writes it once; the same formula, rounded in another order (a few ulps from foreach).
//
// Whether to step at all (a non-finite gradient) is the caller's decision: see NetOptimizer.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace gen {

struct AdamSettings {
  bool decoupled_decay = false;  // AdamW: decay the weights directly; Adam: add decay * p to the gradient
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  bool fused = false;  // the fused kernel (see fused_adam_available) instead of the foreach ops
};

// Whether this LibTorch has `_fused_adam(w)_` for tensors on `device` (CPU kernels since 2.4).
bool fused_adam_available(const torch::Device& device);

class MultiTensorAdam {
 public:
  // `params` in the network's order (the order of the checkpoint's state); `weight_decay[i]`
  // applies to params[i].
  MultiTensorAdam(std::vector<torch::Tensor> params, std::vector<double> weight_decay, AdamSettings settings);

  void set_lr(double lr) { lr_ = lr; }
  // Drops the gradients (PyTorch's zero_grad(set_to_none=True), its default since 2.0): the
  // next backward pass stores its gradients instead of adding them to zeros, one pass over
  // them less.
  void zero_grad();
  // One update from the parameters' gradients times `grad_factor` (0-dim float32 on their
  // device; undefined: 1), which is left in the gradients. Parameters without a gradient are
  // left alone and their step counts stay. The foreach ops multiply the gradients first; the
  // fused kernel divides by the factor's reciprocal inside its own pass (its grad_scale, as
  // AMP's unscaling), so clipping costs no pass of its own. On the CPU a factor of exactly 1
  // leaves the gradients unwritten (no pass over them).
  void step(const torch::Tensor& grad_factor = {});

  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);
  // The state torch::optim::Adam/AdamW wrote (checkpoints before this class): `groups` are
  // the index lists of the param groups that optimizer was built with, in its order.
  void load_torch_optim(torch::serialize::InputArchive& archive, const std::vector<std::vector<size_t>>& groups);

  // Updates applied to params[i] so far.
  int64_t steps(size_t i) const { return steps_[i]; }

 private:
  std::vector<torch::Tensor> params_, exp_avg_, exp_avg_sq_;
  std::vector<double> weight_decay_;
  std::vector<int64_t> steps_;
  AdamSettings settings_;
  std::vector<torch::Tensor> step_counts_;  // steps_ as float32 tensors on the devices, for the fused kernels
  torch::Tensor step_buffer_;               // what step_counts_ are views of (fused only)
  enum class FactorUse { kNone, kMultiply, kGradScale };  // kGradScale: the fused kernel's
  FactorUse factor_use(const torch::Tensor& factor) const;
  void fused_step(const torch::Tensor& grad_factor);  // grad_factor: one whose reciprocal is finite
  void multiply_grads(const torch::Tensor& factor);
  void sync_step_counts();
  double lr_ = 1e-3;
};

}  // namespace gen
