#include "util/rng_scope.h"

namespace gen {

namespace {
at::Generator cuda_generator(size_t i) {
  return at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, c10::DeviceIndex(i)));
}
}  // namespace

RandomStateScope::RandomStateScope() : cpu_(at::detail::getDefaultCPUGenerator().get_state()) {
  if (torch::cuda::is_available()) {
    // device_count() is a size_t on LibTorch 1.13 and a c10::DeviceIndex on 2.x.
    const auto devices = static_cast<size_t>(torch::cuda::device_count());
    for (size_t i = 0; i < devices; ++i) cuda_.push_back(cuda_generator(i).get_state());
  }
}

RandomStateScope::~RandomStateScope() {
  at::Generator cpu = at::detail::getDefaultCPUGenerator();  // a handle to the shared state
  cpu.set_state(cpu_);
  for (size_t i = 0; i < cuda_.size(); ++i) {
    at::Generator g = cuda_generator(i);
    g.set_state(cuda_[i]);
  }
}

}  // namespace gen
