#include "util/threads.h"

#include <dlfcn.h>
#include <sched.h>

#include <ATen/Parallel.h>

namespace gen {

namespace {
using SetThreadsFn = void (*)(int);

// Debian's LibTorch reaches OpenBLAS through libblas.so.3; look the symbol up at run time so
// gen also runs where the reference BLAS or MKL sits behind that name.
SetThreadsFn openblas_setter() {
  return reinterpret_cast<SetThreadsFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
}
}  // namespace

int64_t available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return 1;
}

ThreadChoice choose_threads(const ThreadRequest& runtime, CpuWorkload workload, int64_t cpus, bool openblas_loaded) {
  ThreadChoice c;
  c.cpus = cpus;
  const int64_t threads = runtime.threads.value_or(cpus);
  // Measured on 2 cores (README, "Threads"): convolution nets run im2col GEMMs from inside
  // OpenMP regions, where a multi-threaded OpenBLAS only fights OpenMP for the cores
  // (OpenMP 2 + OpenBLAS 1); matmul nets spend their time in large GEMMs that OpenBLAS
  // threads well, and run fastest with OpenMP at 1 and OpenBLAS at full width.
  const bool blas_wide = workload == CpuWorkload::kMatmul;
  // OpenMP only adds wake-ups around GEMMs that OpenBLAS already spreads over the cores.
  c.intra = runtime.threads ? threads : (blas_wide && openblas_loaded ? 1 : threads);
  c.blas = openblas_loaded ? runtime.blas_threads.value_or(blas_wide ? threads : 1) : 0;
  c.interop = 1;  // gen runs one graph at a time; extra inter-op threads only add wake-ups
  c.summary = "threads: " + std::to_string(c.intra) + " OpenMP (intra-op), " + std::to_string(c.interop) +
              " inter-op, " +
              (openblas_loaded ? std::to_string(c.blas) + " OpenBLAS" : std::string("OpenBLAS not loaded")) + "; " +
              std::to_string(cpus) + " CPUs available; workload " + (blas_wide ? "matmul" : "convolution") +
              (runtime.threads || runtime.blas_threads ? " (set in runtime.*)" : " (auto)");
  return c;
}

ThreadChoice configure_threads(const ThreadRequest& runtime, CpuWorkload workload) {
  const SetThreadsFn set_blas = openblas_setter();
  ThreadChoice c = choose_threads(runtime, workload, available_cpus(), set_blas != nullptr);
  static bool interop_set = false;  // LibTorch allows this once per process
  if (!interop_set) {
    at::set_num_interop_threads(static_cast<int>(c.interop));
    interop_set = true;
  }
  at::set_num_threads(static_cast<int>(c.intra));
  if (set_blas) set_blas(static_cast<int>(c.blas));
  return c;
}

bool set_blas_threads(int64_t n) {
  const SetThreadsFn set_blas = openblas_setter();
  if (set_blas) set_blas(static_cast<int>(n));
  return set_blas != nullptr;
}

}  // namespace gen
