#include "dist/stream_check.h"

#include <fmt/format.h>

#include "dist/world.h"
#include "util/errors.h"

namespace gen {

namespace {

// FNV-1a over a generator's state bytes: equal states give equal fingerprints; two different
// states collide with probability 2^-64.
uint64_t fingerprint(const torch::Tensor& state, uint64_t h) {
  const torch::Tensor bytes = state.contiguous();
  const auto* p = bytes.data_ptr<uint8_t>();
  for (int64_t i = 0; i < bytes.numel(); ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

uint64_t random_state_fingerprint(const torch::Device& device) {
  uint64_t h = fingerprint(at::detail::getDefaultCPUGenerator().get_state(), 14695981039346656037ULL);
  if (device.is_cuda()) h = fingerprint(at::globalContext().defaultGenerator(device).get_state(), h);
  return h;
}

}  // namespace

void check_random_streams_agree(int64_t step, const torch::Device& device) {
  if (world().size() == 1) return;
  const uint64_t mine = random_state_fingerprint(device);
  torch::Tensor rank0 = torch::tensor({static_cast<int64_t>(mine)}, torch::kInt64);
  world().broadcast({rank0}, 0);
  const torch::Tensor differ = torch::tensor({rank0.item<int64_t>() == static_cast<int64_t>(mine) ? 0.0f : 1.0f});
  world().sum(differ);
  if (const auto n = static_cast<int64_t>(differ.item<float>()); n > 0) {
    throw TrainingError(fmt::format(
        "step {}: the random generators of {} of the {} ranks differ from rank 0's{}: a random number was drawn "
        "on some ranks only, so the ranks no longer train what one process would, and a checkpoint's generator "
        "state would not stand for theirs (the last checkpoint before this step is intact)",
        step, n, world().size(), rank0.item<int64_t>() == static_cast<int64_t>(mine) ? "" : " (this rank's among them)"));
  }
}

}  // namespace gen
