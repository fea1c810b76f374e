// How the C library's malloc keeps memory a training step frees. glibc's defaults hand the
// freed top of the heap back to the kernel once more than M_TRIM_THRESHOLD is free there, and
// map blocks above M_MMAP_THRESHOLD afresh each time, so a step that frees its activations at
// its end can fault every page in again in the next. GEN_MALLOC=keep raises both thresholds:
// the heap keeps that memory, as the jemalloc or tcmalloc that CPU PyTorch users preload would.
// For training, whether that is faster depends on the model (docs/RESULTS.md, "malloc"), so it is
// not the default there; gen sample and gen eval, which run the same forward pass over large
// batches again and again, keep by default (measured faster for every family tried).
#pragma once

#include <optional>
#include <string>

namespace gen {

// GEN_MALLOC=keep: raises M_MMAP_THRESHOLD to 64 MiB and M_TRIM_THRESHOLD to 256 MiB (glibc
// only), unless the user set malloc's own tunables (GLIBC_TUNABLES with glibc.malloc,
// MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_). "system": the C library's defaults; unset:
// `unset` (the command's default, "system" or "keep"); any other value: UsageError. Returns
// what was done, for the log.
std::string tune_malloc(const std::optional<std::string>& gen_malloc, const std::optional<std::string>& glibc_tunables,
                        bool malloc_env_set, const std::string& unset = "system");

// The GEN_MALLOC default of a gen command: "keep" for sample and eval, else "system".
std::string malloc_default(const std::string& command);

// tune_malloc from the process environment with `command`'s default, once per process (main()
// calls it first, with the command its arguments name); returns its line every time.
const std::string& configure_malloc(const std::string& command = "");

}  // namespace gen
