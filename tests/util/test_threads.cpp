#include <catch2/catch.hpp>

#include "util/threads.h"

TEST_CASE("threads: convolution nets keep OpenBLAS single-threaded, matmul nets give it the cores", "[util]") {
  gen::ThreadRequest auto_rt;
  const auto conv = gen::choose_threads(auto_rt, gen::CpuWorkload::kConvolution, 4, true);
  CHECK(conv.intra == 4);
  CHECK(conv.blas == 1);
  const auto mm = gen::choose_threads(auto_rt, gen::CpuWorkload::kMatmul, 4, true);
  CHECK(mm.blas == 4);
  CHECK(mm.intra == 1);
  // Without OpenBLAS the GEMMs are LibTorch's own, which need the OpenMP threads.
  CHECK(gen::choose_threads(auto_rt, gen::CpuWorkload::kMatmul, 4, false).intra == 4);
  CHECK_THAT(mm.summary, Catch::Contains("matmul") && Catch::Contains("(auto)"));
}

TEST_CASE("threads: explicit runtime keys win, and no OpenBLAS means no BLAS threads", "[util]") {
  gen::ThreadRequest rt;
  rt.threads = 3;
  rt.blas_threads = 2;
  const auto c = gen::choose_threads(rt, gen::CpuWorkload::kConvolution, 8, true);
  CHECK(c.intra == 3);
  CHECK(c.blas == 2);
  CHECK_THAT(c.summary, Catch::Contains("set in runtime"));
  CHECK(gen::choose_threads(rt, gen::CpuWorkload::kMatmul, 8, false).blas == 0);
  CHECK(gen::available_cpus() >= 1);
}
