// Sets LibTorch's OpenMP pool and OpenBLAS's own pthread pool together. On a small CPU the two
// pools oversubscribe the cores when both run at full width, and which one should get the
// cores depends on the workload: a family declares its CpuWorkload (models/registry.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace gen {

// How a family's CPU time splits, which decides the thread pools.
enum class CpuWorkload {
  kConvolution,  // im2col + GEMM from inside OpenMP regions: OpenBLAS must stay single-threaded
  kMatmul,       // large plain GEMMs: OpenBLAS threads beat OpenMP ones
};

// runtime.threads and runtime.blas_threads; nullopt = auto.
struct ThreadRequest {
  std::optional<int64_t> threads;
  std::optional<int64_t> blas_threads;
};

struct ThreadChoice {
  int64_t cpus = 0;     // CPUs this process may use
  int64_t intra = 0;    // at::set_num_threads (OpenMP)
  int64_t interop = 0;  // at::set_num_interop_threads
  int64_t blas = 0;     // openblas_set_num_threads; 0 = OpenBLAS not loaded
  std::string summary;  // one line for the log
};

// CPUs in this process's affinity mask (what `taskset` or a container allows).
int64_t available_cpus();

// Pure: what to use for this runtime config and workload on `cpus` CPUs.
ThreadChoice choose_threads(const ThreadRequest& runtime, CpuWorkload workload, int64_t cpus, bool openblas_loaded);

// Applies the choice to the process. Call once, before any parallel torch work.
ThreadChoice configure_threads(const ThreadRequest& runtime, CpuWorkload workload);

// OpenBLAS's own pool alone (for a measurement on other threads than training's); false when
// OpenBLAS is not loaded.
bool set_blas_threads(int64_t n);

}  // namespace gen
