// What some model families can do beyond GenerativeModel. A family that can declares it through
// GenerativeModel::likelihood() / classifier(), which return these views of itself.
#pragma once

#include <torch/torch.h>

#include <string>

namespace gen {

// A network that labels images: its penultimate-layer activations are the feature space of
// FID/KID, its class probabilities those of the Inception Score and mode coverage.
class ImageClassifier {
 public:
  virtual ~ImageClassifier() = default;
  struct Output {
    torch::Tensor features;  // (B, D) float
    torch::Tensor logits;    // (B, K) float
  };
  // x: (B, C, H, W) in [-1, 1] at the classifier's own image size. Inference mode (no dropout).
  virtual Output classify(const torch::Tensor& x) = 0;
  virtual int64_t num_classes() const = 0;
};

// A latent-variable model that bounds log p(x) from below.
class LikelihoodModel {
 public:
  virtual ~LikelihoodModel() = default;
  struct Bounds {
    torch::Tensor elbo;  // (B) mean over the K samples of log w_k, nats
    torch::Tensor iwae;  // (B) log (1/K) sum_k w_k, nats; >= elbo for the same samples (Jensen)
  };
  // x: a held-out batch as the data source gives it; k importance samples from q(z|x) per
  // example, drawn from `generator` (CPU) so the figure is reproducible.
  virtual Bounds log_likelihood_bounds(const torch::Tensor& x, int64_t k, at::Generator& generator) = 0;
  // Dimensions of x the likelihood is over (for bits per dimension).
  virtual int64_t data_dims() const = 0;
};

}  // namespace gen
