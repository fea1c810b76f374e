// Counts the floating-point operations of the matrix products, convolutions and attention that
// run on this thread while a FlopCounter exists, from each op's shapes (2 per multiply-add),
// through LibTorch's RecordFunction observers. Only forward ops are counted: ops inside a
// backward pass are not, and an op nested in a counted one (aten::linear's addmm, a
// convolution's own GEMMs, attention's products) is counted once, at the outermost.
// `gen bench` turns the forward count of one training step into the model FLOPs of the step:
// 3x what ran with gradients (forward, and backward for inputs and weights), 1x what ran without.
#pragma once

#include <ATen/record_function.h>

#include <cstdint>

namespace gen {

struct FlopCount {
  double with_grad = 0;     // forward ops run with gradients enabled
  double without_grad = 0;  // forward ops under no_grad (e.g. a GAN's fakes for its critic)
  int64_t ops = 0;          // ops counted
  // The training convention (PaLM, nanoGPT's MFU): backward costs twice the forward.
  double training() const { return 3 * with_grad + without_grad; }
};

class FlopCounter {
 public:
  FlopCounter();
  ~FlopCounter();
  FlopCounter(const FlopCounter&) = delete;
  FlopCounter& operator=(const FlopCounter&) = delete;

  FlopCount count() const;

 private:
  at::CallbackHandle handle_;
};

}  // namespace gen
