#include "util/allocator.h"

#include <cstdlib>

#include <fmt/format.h>

#include "util/errors.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace gen {

namespace {
constexpr int kMmapThreshold = 64 << 20;
constexpr int kTrimThreshold = 256 << 20;

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::optional<std::string>(v) : std::nullopt;
}
}  // namespace

std::string tune_malloc(const std::optional<std::string>& gen_malloc, const std::optional<std::string>& glibc_tunables,
                        bool malloc_env_set) {
  const std::string choice = gen_malloc.value_or("keep");
  if (choice == "system") {
    return "malloc: the C library's defaults (GEN_MALLOC=system; unset, gen keeps freed memory for the next step)";
  }
  if (choice != "keep") throw UsageError("GEN_MALLOC='" + choice + "': expected keep or system");
  if (malloc_env_set || (glibc_tunables && glibc_tunables->find("glibc.malloc") != std::string::npos)) {
    return "malloc: as the environment's malloc tunables say (gen left them alone)";
  }
#if defined(__GLIBC__)
  if (mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1) {
    return fmt::format("malloc: freed memory kept for the next step (mmap threshold 64 MiB, trim threshold 256 MiB; {})",
                       gen_malloc ? "GEN_MALLOC=keep" : "gen's default, GEN_MALLOC=system for the C library's");
  }
  return "malloc: the C library's defaults (mallopt refused the thresholds that keep freed memory)";
#else
  return "malloc: the C library's defaults (GEN_MALLOC=keep needs glibc)";
#endif
}

const std::string& configure_malloc() {
  static const std::string line =
      tune_malloc(env("GEN_MALLOC"), env("GLIBC_TUNABLES"),
                  env("MALLOC_MMAP_THRESHOLD_").has_value() || env("MALLOC_TRIM_THRESHOLD_").has_value());
  return line;
}

}  // namespace gen
