#include <catch2/catch.hpp>

#include <ATen/Parallel.h>
#include <torch/version.h>

#include "util/threads.h"
#include "util/torch_build.h"

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

TEST_CASE("threads: ranks on one machine divide its CPUs, and do not count each other as load", "[util]") {
  gen::ThreadRequest auto_rt;
  // 2 ranks on 2 CPUs: one thread each, not two each (4 spin-waiting OpenMP threads on 2 cores).
  const auto conv = gen::choose_threads(auto_rt, gen::CpuWorkload::kConvolution, 2, true, 0.0, 2);
  CHECK(conv.intra == 1);
  CHECK(conv.blas == 1);
  CHECK_THAT(conv.summary, Catch::Contains("2 CPUs available to 2 ranks on this machine, 1 each"));
  const auto mm = gen::choose_threads(auto_rt, gen::CpuWorkload::kMatmul, 16, true, 0.0, 8);
  CHECK(mm.blas == 2);
  CHECK(mm.intra == 1);
  CHECK(gen::choose_threads(auto_rt, gen::CpuWorkload::kConvolution, 16, true, 1.0, 8).intra == 1);  // share less load
  CHECK(gen::choose_threads(auto_rt, gen::CpuWorkload::kConvolution, 3, true, 0.0, 8).intra == 1);   // never 0
  CHECK(gen::cpu_share(16, 3) == 5);
  // A hand-set count is taken as given, whatever the share.
  gen::ThreadRequest four;
  four.threads = 4;
  CHECK(gen::choose_threads(four, gen::CpuWorkload::kConvolution, 2, true, 0.0, 2).intra == 4);
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

namespace {
// A /proc/stat text with cpu0 and cpu1 at the given (user, idle) jiffies.
std::string stat_text(double user0, double idle0, double user1, double idle1) {
  auto line = [](int id, double user, double idle) {
    return "cpu" + std::to_string(id) + " " + std::to_string(int64_t(user)) + " 0 0 " + std::to_string(int64_t(idle)) +
           " 0 0 0 0 0 0\n";
  };
  return "cpu  1 2 3 4 5 6 7 8 9 10\n" + line(0, user0, idle0) + line(1, user1, idle1) + "intr 123\n";
}
}  // namespace

TEST_CASE("threads: busy CPUs from two /proc/stat texts, over the allowed CPUs only", "[util]") {
  const std::string before = stat_text(100, 100, 100, 100);
  const std::string after = stat_text(200, 100, 110, 190);  // cpu0 all busy, cpu1 10% busy
  CHECK(gen::busy_between(before, after, {0, 1}) == Approx(1.1));
  CHECK(gen::busy_between(before, after, {1}) == Approx(0.1));
  CHECK(gen::busy_between(before, before, {0, 1}) == 0);
  CHECK(gen::busy_between("", after, {0, 1}) == 0);
}

TEST_CASE("threads: auto leaves CPUs that other work keeps at least half busy, never going below one", "[util]") {
  gen::ThreadRequest auto_rt;
  const auto conv = gen::choose_threads(auto_rt, gen::CpuWorkload::kConvolution, 2, true, 0.97);
  CHECK(conv.intra == 1);
  CHECK_THAT(conv.summary, Catch::Contains("1 of them busy with other work"));
  CHECK(gen::choose_threads(auto_rt, gen::CpuWorkload::kMatmul, 2, true, 0.97).blas == 1);
  CHECK(gen::choose_threads(auto_rt, gen::CpuWorkload::kConvolution, 2, true, 0.3).intra == 2);
  CHECK(gen::choose_threads(auto_rt, gen::CpuWorkload::kConvolution, 8, true, 2.6).intra == 5);
  CHECK(gen::choose_threads(auto_rt, gen::CpuWorkload::kConvolution, 2, true, 5.0).intra == 1);
  gen::ThreadRequest two;
  two.threads = 2;  // set by the user: the load does not matter
  CHECK(gen::choose_threads(two, gen::CpuWorkload::kConvolution, 2, true, 1.0).intra == 2);
}

TEST_CASE("threads: OpenBLAS is set only when it is LibTorch's BLAS, not when MKL is inside LibTorch", "[util]") {
  // The pip wheels link MKL into libtorch_cpu; OpenCV still loads an OpenBLAS into the process.
  // Taking that one for LibTorch's put MKL's GEMMs on 1 OpenMP thread for matmul models.
  const bool mkl_inside = gen::torch_build_setting("BLAS_INFO") == "mkl";
  INFO("BLAS_INFO " << gen::torch_build_setting("BLAS_INFO"));
  CHECK(gen::set_blas_threads(1) == !mkl_inside);
  CHECK((gen::current_threads().blas == 0) == mkl_inside);
  const gen::ThreadChoice c = gen::configure_threads(gen::ThreadRequest{}, gen::CpuWorkload::kMatmul, 1);
  if (mkl_inside) {
    CHECK(c.blas == 0);
    CHECK(c.intra == at::get_num_threads());
    CHECK((c.intra > 1 || gen::available_cpus() == 1 || c.summary.find("busy") != std::string::npos));
  }
}

TEST_CASE("torch build settings: the running LibTorch's version is the one gen was compiled against", "[util]") {
  const std::string version = gen::torch_build_setting("TORCH_VERSION");
  CHECK(version.rfind(std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + ".", 0) == 0);
  CHECK(gen::torch_build_setting("NO_SUCH_KEY").empty());
  CHECK_FALSE(gen::torch_config_line("CPU capability usage: ").empty());
}
