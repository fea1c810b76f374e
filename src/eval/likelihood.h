// Likelihood bounds of a latent-variable model on held-out data: the ELBO and the
// importance-weighted bound (Burda et al. 2016) with K samples, per example in nats.
#pragma once

#include <cstdint>

namespace gen {

class DataSource;
class LikelihoodModel;

struct LikelihoodFigures {
  int64_t examples = 0;
  int64_t k = 0;
  double neg_elbo = 0;      // -ELBO from the same K samples (Monte Carlo), nats per example
  double nll_iwae = 0;      // -IWAE bound: an upper bound on -log p(x), nats per example
  double bits_per_dim = 0;  // nll_iwae / (dims * ln 2)
};

// Over the first `max_examples` (0 = all) of the "val" split; reproducible for a given seed.
LikelihoodFigures likelihood_figures(DataSource& data, LikelihoodModel& model, int64_t k, int64_t max_examples,
                                     uint64_t seed);

}  // namespace gen
