// MKL, linked into the LibTorch of the pip wheels, asks this function whether the CPU is
// Intel's before it looks at the CPU's features, and on any other vendor's runs its AVX2 code:
// on an AVX-512 AMD CPU (Zen 4, Zen 5) that is half the float32 GEMM throughput the same
// machine's oneDNN convolutions reach (docs/RESULTS.md). Defined here, in the executable (and
// exported by the link, apps/gen/CMakeLists.txt), it is found before libtorch_cpu.so's own copy,
// so MKL picks its kernels by the CPU's features alone. GEN_MKL_VENDOR_CHECK=1 gives MKL its own
// answer back. Harmless where LibTorch has no MKL (Debian's uses OpenBLAS): nothing calls it.
#include <dlfcn.h>

#include "util/torch_build.h"

extern "C" __attribute__((visibility("default"))) int mkl_serv_intel_cpu_true() {
  if (gen::mkl_own_vendor_check()) {
    using Check = int (*)();
    // dlsym returns a data pointer; POSIX guarantees the conversion for function symbols.
    const auto next = reinterpret_cast<Check>(dlsym(RTLD_NEXT, "mkl_serv_intel_cpu_true"));
    return next != nullptr ? next() : 0;
  }
  return 1;
}
