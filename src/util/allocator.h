// How the C library's malloc keeps memory a training step frees. glibc's defaults hand the
// freed top of the heap back to the kernel once more than M_TRIM_THRESHOLD is free there, and
// map blocks above M_MMAP_THRESHOLD afresh each time, so a step that frees its activations at
// its end can fault every page in again in the next. gen raises both thresholds unless
// GEN_MALLOC=system: the heap keeps that memory, as the jemalloc or tcmalloc that CPU PyTorch
// users preload would. Every command keeps by default (measurements: docs/RESULTS.md, "malloc").
#pragma once

#include <optional>
#include <string>

namespace gen {

// GEN_MALLOC=keep: raises M_MMAP_THRESHOLD to 64 MiB and M_TRIM_THRESHOLD to 256 MiB (glibc
// only), unless the user set malloc's own tunables (GLIBC_TUNABLES with glibc.malloc,
// MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_). Unset: as keep. "system": the C library's
// defaults; any other value: UsageError. Returns what was done, for the log.
std::string tune_malloc(const std::optional<std::string>& gen_malloc, const std::optional<std::string>& glibc_tunables,
                        bool malloc_env_set);

// tune_malloc from the process environment, once per process (main() calls it first); returns
// its line every time.
const std::string& configure_malloc();

}  // namespace gen
