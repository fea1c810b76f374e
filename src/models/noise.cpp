#include "models/noise.h"

#include <algorithm>

namespace gen {

torch::Tensor noise_bank(uint64_t seed, int64_t n, int64_t dim) {
  auto gen = at::detail::createCPUGenerator(seed);
  return torch::randn({n, dim}, gen);
}

torch::Tensor request_latents(const SampleRequest& request, int64_t n, const torch::Tensor& bank) {
  if (request.fixed_noise) return bank.narrow(0, 0, std::min(n, bank.size(0)));
  return noise_bank(request.seed, n, bank.size(1));
}

}  // namespace gen
