// Work that must not move the training run's random stream (an evaluation, a sample grid,
// building a helper network) runs inside a RandomStateScope: the global CPU and CUDA
// generators are back where they were when it ends, so a run trains the same whether or not,
// and whenever, such work happens, and a checkpoint written before it resumes bit for bit.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace gen {

class RandomStateScope {
 public:
  RandomStateScope();
  ~RandomStateScope();  // restores the states
  RandomStateScope(const RandomStateScope&) = delete;
  RandomStateScope& operator=(const RandomStateScope&) = delete;

 private:
  torch::Tensor cpu_;
  std::vector<torch::Tensor> cuda_;
};

}  // namespace gen
