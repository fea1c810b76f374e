// Batch augmentation shared by the families that use it (a GAN's discriminator inputs, a
// classifier's training images): per-example random flips, shifts and noise.
#pragma once

#include <torch/torch.h>

#include "config/field.h"

namespace gen {

struct AugmentOptions {
  bool hflip = false;
  int64_t translate_px = 0;
  double noise_std = 0.0;

  template <class V>
  void visit(V& v) {
    v("hflip", hflip, "flip each image left-right with probability 1/2");
    v("translate_px", translate_px,
      Doc("shift each image by up to this many pixels in x and y (background fill)").range(0, 64));
    v("noise_std", noise_std, Doc("add Gaussian noise of this standard deviation").range(0, 10));
  }
  bool any() const { return hflip || translate_px > 0 || noise_std > 0; }
};

// x: (B, C, H, W) in [-1, 1]. Vectorised and differentiable (a generator learns through it).
torch::Tensor augment(const torch::Tensor& x, const AugmentOptions& a);

}  // namespace gen
