// Exponential moving average of a module's parameters (buffers are copied as they are), and
// the scopes that swap the average in: EmaWeights alone, or InferenceScope for the whole
// switch to inference (no gradients, eval mode, EMA weights), undone when the scope ends,
// even by an exception.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace gen {

// The decay warms up as min(decay, (1 + n) / (10 + n)) after n updates: with a fixed 0.999
// the random initial weights still made up 0.999^3000 = 5% of the average after 3000 steps,
// and early evaluations of the average were worse than the raw weights by tens of nats.
class Ema {
 public:
  Ema(torch::nn::Module& module, double decay);
  void update();
  // Starts the average again from the module's current weights, with the warm-up.
  void reset();
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  friend class EmaWeights;
  torch::nn::Module& module_;
  double decay_;
  int64_t updates_ = 0;
  std::vector<torch::Tensor> shadow_;  // one per parameter, same order as module_.parameters()
};

// The EMA's weights in its module for the scope's lifetime; nothing when `ema` is null.
class EmaWeights {
 public:
  explicit EmaWeights(const Ema* ema);
  ~EmaWeights();
  EmaWeights(const EmaWeights&) = delete;
  EmaWeights& operator=(const EmaWeights&) = delete;

 private:
  const Ema* ema_;
  std::vector<torch::Tensor> backup_;
};

// No gradients, `net` in eval mode and (when `ema` is given) its EMA weights swapped in;
// restored in reverse order at the end of the scope.
class InferenceScope {
 public:
  explicit InferenceScope(torch::nn::Module& net, const Ema* ema = nullptr);
  ~InferenceScope();
  InferenceScope(const InferenceScope&) = delete;
  InferenceScope& operator=(const InferenceScope&) = delete;

 private:
  torch::NoGradGuard no_grad_;
  torch::nn::Module& net_;
  bool was_training_;
  EmaWeights weights_;
};

}  // namespace gen
