#include "util/cpu_kernels_isa.h"

#include <c10/util/Exception.h>

namespace gen {

namespace {

std::string& isa_override() {
  static std::string isa;
  return isa;
}

std::string widest_isa() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl")) {
    return __builtin_cpu_supports("avx512bf16") ? "avx512bf16" : "avx512";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2";
#endif
  return "base";
}

}  // namespace

std::string cpu_kernels_isa() {
  static const std::string widest = widest_isa();
  return isa_override().empty() ? widest : isa_override();
}

bool cpu_kernels_avx512(const std::string& isa) { return isa == "avx512" || isa == "avx512bf16"; }

void force_cpu_kernels_isa(const std::string& isa) {
  const std::string widest = widest_isa();
  TORCH_CHECK(isa.empty() || isa == "base" || (isa == "avx2" && widest != "base") ||
                  (isa == "avx512" && cpu_kernels_avx512(widest)) || (isa == "avx512bf16" && widest == isa),
              "gen's CPU kernels: this CPU does not run ", isa);
  isa_override() = isa;
}

}  // namespace gen
