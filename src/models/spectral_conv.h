// Convolution with spectral normalisation (Miyato et al. 2018): the weight is divided by an
// estimate of its largest singular value, so the layer is 1-Lipschitz and a GAN critic built
// from such layers cannot sharpen its decision boundary without bound. One power-iteration
// step per training-mode forward refines the estimate, as torch.nn.utils.spectral_norm does;
// the singular vector u is a buffer, so checkpoints carry it and resumes are bit-exact.
#pragma once

#include <torch/torch.h>

namespace gen {

struct SpectralConv2dImpl : torch::nn::Module {
  SpectralConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding);

  torch::Tensor forward(const torch::Tensor& x);
  // W / sigma(W), with gradients through sigma; advances u first when the module is training.
  torch::Tensor normalized_weight();

  torch::Tensor weight;  // (out, in, k, k)
  torch::Tensor u;       // (out): left singular vector estimate
  int64_t stride, padding;
};
TORCH_MODULE(SpectralConv2d);

}  // namespace gen
