#include "models/noise.h"

#include <algorithm>

#include "util/errors.h"

namespace gen {

torch::Tensor noise_bank(uint64_t seed, int64_t n, int64_t dim) {
  auto gen = at::detail::createCPUGenerator(seed);
  return torch::randn({n, dim}, gen);
}

torch::Tensor request_latents(const SampleRequest& request, int64_t n, const torch::Tensor& bank) {
  if (request.fixed_noise) return bank.narrow(0, 0, std::min(n, bank.size(0)));
  return noise_bank(request.seed, n, bank.size(1));
}

RequestValues request_values(const SampleRequest& request, int64_t count, const std::string& takes) {
  if (request.label >= count) {
    throw UsageError("--class " + std::to_string(request.label) + takes + " 0 to " + std::to_string(count - 1));
  }
  RequestValues v;
  if (request.label >= 0) {
    v.n = request.n;
    v.y = torch::full({v.n}, request.label, torch::kInt64);
  } else {
    v.nrow = std::max<int64_t>(1, request.n / count);
    v.n = v.nrow * count;
    v.y = torch::arange(v.n, torch::kInt64).div(v.nrow, "floor");
  }
  return v;
}

}  // namespace gen
