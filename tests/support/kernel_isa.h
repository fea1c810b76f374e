// The instruction sets gen's own CPU kernels can be forced to on this CPU, and a scope that
// forces one: the kernel tests run every clone (util/cpu_kernels_isa.h).
#pragma once

#include <string>
#include <vector>

#include "util/cpu_kernels_isa.h"

namespace gen::test {

// "base", then "avx2", "avx512" and "avx512bf16" where this CPU runs them.
inline std::vector<std::string> kernel_instruction_sets() {
  std::vector<std::string> sets = {"base"};
  const std::string widest = cpu_kernels_isa();
  if (widest != "base") sets.push_back("avx2");
  if (cpu_kernels_avx512(widest)) sets.push_back("avx512");
  if (widest == "avx512bf16") sets.push_back("avx512bf16");
  return sets;
}

// Runs `body` with gen's kernels forced to `isa`, and restores the widest after.
template <typename Body>
void with_kernel_isa(const std::string& isa, Body body) {
  force_cpu_kernels_isa(isa);
  try {
    body();
  } catch (...) {
    force_cpu_kernels_isa("");
    throw;
  }
  force_cpu_kernels_isa("");
}

}  // namespace gen::test
