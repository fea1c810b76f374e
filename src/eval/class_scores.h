// Figures from a classifier's class probabilities on generated images: the (classifier)
// Inception Score and how evenly the samples cover the classes.
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "eval/mean_std.h"

namespace gen {

using InceptionScore = MeanStd;  // over the splits

// exp(E_x KL(p(y|x) || p(y))) with p(y) the mean over each of `splits` equal parts (the usual
// 10), averaged over the parts. probs: (N, K) rows summing to 1. Ranges from 1 to K.
InceptionScore inception_score(const torch::Tensor& probs, int64_t splits);

struct ClassCoverage {
  double covered = 0;        // fraction of classes that receive at least 10% of their uniform share of argmax labels
  double kl_to_uniform = 0;  // KL(histogram of argmax labels || uniform), nats; 0 = perfectly even
};

ClassCoverage class_coverage(const torch::Tensor& probs);

}  // namespace gen
