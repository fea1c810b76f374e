// Sets LibTorch's OpenMP pool and OpenBLAS's own pthread pool together. On a small CPU the two
// pools oversubscribe the cores when both run at full width, and which one should get the
// cores depends on the workload: a family declares its CpuWorkload (models/registry.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
// Their numbers (cpuN in /proc/stat).
std::vector<int> allowed_cpu_ids();

// How many of the allowed CPUs other work kept busy over `window`, from /proc/stat (this
// process is idle meanwhile); 0 when /proc/stat cannot be read.
double busy_cpus(std::chrono::milliseconds window);
// Pure: busy CPUs between two /proc/stat texts, summed over the cpuN lines in `cpus`.
double busy_between(const std::string& before, const std::string& after, const std::vector<int>& cpus);

// Pure: what to use for this runtime config and workload on `cpus` CPUs of which `busy` are
// taken by other work, shared by `sharing` processes of the same job (the data-parallel ranks
// on this machine, each with the same affinity mask). Auto gives each of them an equal share,
// and leaves a CPU that is at least half busy to its owner: OpenMP threads spin-wait for each
// other, so one thread without a core stalls all of them (a 2-core machine ran 3-4x slower
// beside one busy process, docs/RESULTS.md).
ThreadChoice choose_threads(const ThreadRequest& runtime, CpuWorkload workload, int64_t cpus, bool openblas_loaded,
                            double busy = 0, int64_t sharing = 1);

// The CPUs auto gives one of `sharing` processes that share this process's affinity mask (at least 1).
int64_t cpu_share(int64_t cpus, int64_t sharing);

// Applies the choice to the process, measuring the load first when the thread count is auto and
// the process is alone (the job's other ranks, starting at the same moment, would count as load
// at random: they are counted by `sharing` instead).
ThreadChoice configure_threads(const ThreadRequest& runtime, CpuWorkload workload, int64_t sharing = 1);

// OpenMP and OpenBLAS threads in effect now (blas 0: OpenBLAS not loaded), as checkpoints record them.
struct ThreadCounts {
  int64_t intra = 0;
  int64_t blas = 0;
};
ThreadCounts current_threads();

// OpenBLAS's own pool alone (for a measurement on other threads than training's); false when
// OpenBLAS is not loaded.
bool set_blas_threads(int64_t n);

}  // namespace gen
