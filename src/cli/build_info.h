// What `gen --version` prints: the versions and capabilities a bug report needs.
#pragma once

#include <string>

namespace gen {

// Multi-line: gen's version; the LibTorch gen was compiled against and the one it runs with;
// CUDA, cuDNN and NCCL (built in, and the GPUs seen); c10d backends; BLAS; CPU capabilities.
std::string build_info();

}  // namespace gen
