// Distances between two sets of feature vectors: the Frechet distance of their Gaussian fits
// (FID's formula) and the kernel MMD of KID. Computed in float64 on the CPU.
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "eval/mean_std.h"

namespace gen {

struct FeatureStats {
  torch::Tensor mean;  // (D) float64
  torch::Tensor cov;   // (D, D) float64, unbiased
  int64_t n = 0;
};

// features: (N, D), N >= 2, any float type or device.
FeatureStats feature_stats(const torch::Tensor& features);

// |mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^(1/2)). The trace term is taken from the
// eigenvalues of the symmetric S_a^(1/2) S_b S_a^(1/2), whose eigenvalues are those of S_a S_b,
// so near-singular covariances (ReLU features with dead units) stay exact instead of producing
// the complex parts a general sqrtm gives. Never negative.
double frechet_distance(const FeatureStats& a, const FeatureStats& b);

// (A)^(1/2) of a symmetric positive semi-definite matrix; negative round-off eigenvalues -> 0.
torch::Tensor psd_sqrt(const torch::Tensor& a);

using KidResult = MeanStd;  // over the subsets

// Kernel Inception Distance (Binkowski et al. 2018): the unbiased MMD^2 estimate with the
// cubic polynomial kernel k(x, y) = (x.y / D + 1)^3, averaged over `subsets` random subsets of
// `subset_size` rows of each set (subset_size is capped at the smaller set).
KidResult kernel_distance(const torch::Tensor& a, const torch::Tensor& b, int64_t subsets, int64_t subset_size,
                          uint64_t seed);

}  // namespace gen
