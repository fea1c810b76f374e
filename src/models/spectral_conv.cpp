#include "models/spectral_conv.h"

namespace gen {

namespace F = torch::nn::functional;

SpectralConv2dImpl::SpectralConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride_, int64_t padding_)
    : stride(stride_), padding(padding_) {
  weight = register_parameter("weight", torch::randn({out, in, kernel, kernel}) * 0.02);
  u = register_buffer("u", F::normalize(torch::randn({out}), F::NormalizeFuncOptions().dim(0).eps(1e-12)));
}

torch::Tensor SpectralConv2dImpl::normalized_weight() {
  const torch::Tensor w = weight.flatten(1);  // (out, in*k*k)
  const auto unit = F::NormalizeFuncOptions().dim(0).eps(1e-12);
  torch::Tensor left, right;
  {
    torch::NoGradGuard no_grad;
    right = F::normalize(torch::mv(w.t(), u), unit);
    // A copy, not the buffer itself: the buffer changes in place at the next forward, which
    // may come before this forward's backward (D scores real and fake batches in turn).
    if (is_training()) {
      left = F::normalize(torch::mv(w, right), unit);
      u.copy_(left);
    } else {
      left = u.clone();
    }
  }
  const torch::Tensor sigma = torch::dot(left, torch::mv(w, right));
  return weight / sigma;
}

torch::Tensor SpectralConv2dImpl::forward(const torch::Tensor& x) {
  return F::conv2d(x, normalized_weight(), F::Conv2dFuncOptions().stride(stride).padding(padding));
}

}  // namespace gen
