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

TEST_CASE("allocator: under GEN_MALLOC=keep a step's freed memory serves the next step without page faults",
          "[util]") {
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
  const long with_defaults = faults_of_steps();
  CHECK_THAT(gen::tune_malloc(std::nullopt, std::nullopt, false), Catch::Contains("defaults"));
  CHECK(faults_of_steps() * 4 > with_defaults);  // unset: nothing changed
  const std::string line = gen::tune_malloc(std::string("keep"), std::nullopt, false);
  CHECK_THAT(line, Catch::Contains("kept for the next step"));
  const long kept = faults_of_steps();
  INFO("faults with glibc's defaults " << with_defaults << ", with the thresholds raised " << kept);
  CHECK(kept * 4 < with_defaults);  // only the first step faults its pages in
#endif
  // malloc's own tunables win; a value gen does not know is said.
  CHECK_THAT(gen::tune_malloc(std::string("keep"), std::string("glibc.malloc.trim_threshold=1"), false),
             Catch::Contains("environment"));
  CHECK_THAT(gen::tune_malloc(std::string("keep"), std::nullopt, true), Catch::Contains("environment"));
  CHECK_THROWS_WITH(gen::tune_malloc(std::string("jemalloc"), std::nullopt, false),
                    "GEN_MALLOC='jemalloc': expected keep or system");
}

TEST_CASE("allocator: gen sample and gen eval keep freed memory unless GEN_MALLOC says otherwise, training does not",
          "[util]") {
  CHECK(gen::malloc_default("sample") == "keep");
  CHECK(gen::malloc_default("eval") == "keep");
  for (const char* command : {"train", "bench", "verify-resume", "export", ""}) {
    CHECK(gen::malloc_default(command) == "system");
  }
  // With the environment's malloc tunables untouched: unset takes the command's default, a value wins.
  CHECK_THAT(gen::tune_malloc(std::nullopt, std::string("glibc.malloc.x=1"), false, "keep"),
             Catch::Contains("environment"));
  CHECK_THAT(gen::tune_malloc(std::string("system"), std::nullopt, false, "keep"), Catch::Contains("defaults"));
}
