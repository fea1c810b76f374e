#include <catch2/catch.hpp>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "util/allocator.h"

namespace {

long minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// Page faults of 20 "steps" that each allocate and fill 10 blocks of 1-3 MiB (activations), then
// free them all.
long faults_of_steps() {
  const long before = minor_faults();
  for (int step = 0; step < 20; ++step) {
    std::vector<void*> blocks;
    for (int i = 0; i < 10; ++i) {
      const size_t n = size_t(1 + i % 3) * 1024 * 1024 + 4096 * size_t(i);
      void* p = std::malloc(n);
      REQUIRE(p);
      std::memset(p, 1, n);
      blocks.push_back(p);
    }
    for (void* p : blocks) std::free(p);
  }
  return minor_faults() - before;
}

}  // namespace

TEST_CASE("allocator: unless GEN_MALLOC=system, a step's freed memory serves the next step without page faults",
          "[util]") {
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
  const long with_defaults = faults_of_steps();
  CHECK_THAT(gen::tune_malloc(std::string("system"), std::nullopt, false), Catch::Contains("defaults"));
  CHECK(faults_of_steps() * 4 > with_defaults);  // system: nothing changed
  const std::string line = gen::tune_malloc(std::nullopt, std::nullopt, false);
  CHECK_THAT(line, Catch::Contains("kept for the next step") && Catch::Contains("gen's default"));
  const long kept = faults_of_steps();
  INFO("faults with glibc's defaults " << with_defaults << ", with the thresholds raised " << kept);
  CHECK(kept * 4 < with_defaults);  // only the first step faults its pages in
  CHECK_THAT(gen::tune_malloc(std::string("keep"), std::nullopt, false), Catch::Contains("GEN_MALLOC=keep"));
#endif
  // malloc's own tunables win, whether GEN_MALLOC is unset or keep; a value gen does not know is said.
  for (const auto& gen_malloc : {std::optional<std::string>(), std::optional<std::string>("keep")}) {
    CHECK_THAT(gen::tune_malloc(gen_malloc, std::string("glibc.malloc.trim_threshold=1"), false),
               Catch::Contains("environment"));
    CHECK_THAT(gen::tune_malloc(gen_malloc, std::nullopt, true), Catch::Contains("environment"));
  }
  CHECK_THROWS_WITH(gen::tune_malloc(std::string("jemalloc"), std::nullopt, false),
                    "GEN_MALLOC='jemalloc': expected keep or system");
}
