#include "cli/build_info.h"

#include <ATen/Context.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <dlfcn.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <fstream>
#include <string>
#include <vector>

#include "dist/world.h"
#include "util/cpu_kernels_isa.h"
#include "util/torch_build.h"
#include "util/torch_version.h"

namespace gen {

namespace {

// The first loaded shared object whose file name contains one of `names` (/proc/self/maps):
// the BLAS that LibTorch's calls reach, whatever Debian's alternatives point libblas.so.3 at.
std::string loaded_library(const std::vector<std::string>& names) {
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    const size_t slash = line.rfind('/');
    if (slash == std::string::npos) continue;
    const std::string file = line.substr(slash + 1);
    for (const auto& n : names) {
      if (file.find(n) != std::string::npos) return line.substr(line.find('/'));
    }
  }
  return "";
}

// Who answers MKL's "is this an Intel CPU?" (apps/gen/mkl_vendor_check.cpp): gen, when the
// definition the dynamic linker finds is in the same object as this code (the gen executable).
std::string mkl_vendor_check() {
  Dl_info found{}, here{};
  void* check = dlsym(RTLD_DEFAULT, "mkl_serv_intel_cpu_true");
  if (check == nullptr || dladdr(check, &found) == 0 ||
      dladdr(reinterpret_cast<void*>(&loaded_library), &here) == 0 || found.dli_fbase != here.dli_fbase) {
    return "MKL's own CPU-vendor check: AVX2 kernels on non-Intel CPUs";
  }
  if (mkl_own_vendor_check()) return "MKL's own CPU-vendor check (GEN_MKL_VENDOR_CHECK=1)";
  return "kernels chosen by CPU features, gen answers MKL's CPU-vendor check";
}

// The CPU flags that decide which kernels LibTorch and oneDNN pick (/proc/cpuinfo, x86).
std::string cpu_flags() {
  std::ifstream info("/proc/cpuinfo");
  std::string model, flags;
  for (std::string line; std::getline(info, line);) {
    if (model.empty() && line.rfind("model name", 0) == 0) model = line.substr(line.find(':') + 2);
    if (line.rfind("flags", 0) == 0) {
      flags = " " + line.substr(line.find(':') + 1) + " ";
      break;
    }
  }
  std::string out = model.empty() ? "unknown CPU" : model;
  std::string have;
  for (const char* flag : {"avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_fp16"}) {
    if (flags.find(std::string(" ") + flag + " ") == std::string::npos) continue;
    if (!have.empty()) have += ' ';
    have += flag;
  }
  return out + (have.empty() ? "" : " (" + have + ")");
}

}  // namespace

std::string build_info() {
  std::string out = fmt::format("gen {}\n", GEN_VERSION);
  const std::string running = torch_build_setting("TORCH_VERSION");
  out += fmt::format("LibTorch: built with {}.{}.{}, running {}{}\n", TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR,
                     TORCH_VERSION_PATCH, running.empty() ? "unknown" : running,
                     running.empty() || running.rfind(fmt::format("{}.{}.", TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR), 0) == 0
                         ? ""
                         : " (a different version: rebuild gen against it)");
  const std::string use_cuda = torch_build_setting("USE_CUDA");
  if (use_cuda == "1" || use_cuda == "ON") {
    // Asked of libtorch_cuda's hooks, which answer without a GPU (at::hasCUDA() needs one).
    std::string runtime = "?", cudnn = "none";
    try {
      const long rt = at::detail::getCUDAHooks().versionCUDART();  // 13000 = 13.0
      runtime = fmt::format("{}.{}", rt / 1000, rt % 1000 / 10);
      if (at::detail::getCUDAHooks().hasCuDNN()) {
        const long dnn = at::detail::getCUDAHooks().versionCuDNN();  // 91002 = 9.10.2; 8.x: 8907 = 8.9.7
        const long major_unit = dnn >= 10000 ? 10000 : 1000;
        cudnn = fmt::format("{}.{}.{}", dnn / major_unit, dnn % major_unit / 100, dnn % 100);
      }
    } catch (const std::exception&) {
    }
    out += fmt::format("CUDA: runtime {}, cuDNN {}, {} GPU(s) seen\n", runtime, cudnn,
                       static_cast<int>(torch::cuda::device_count()));
  } else {
    out += "CUDA: not in this LibTorch (CPU only)\n";
  }
  std::string backends;
  for (const std::string& b : compiled_dist_backends()) backends += (backends.empty() ? "" : ", ") + b;
  const std::string nccl = torch_build_setting("USE_NCCL");
  out += fmt::format("data parallel (c10d): {}; NCCL in LibTorch: {}\n", backends.empty() ? "none (one process only)" : backends,
                     nccl == "1" || nccl == "ON" ? "yes" : "no");
  std::string blas = torch_build_setting("BLAS_INFO");
  if (blas == "mkl") {  // linked into libtorch_cpu (pip wheels); an OpenBLAS loaded by OpenCV is not the one used
    const std::string version = torch_config_line("Math Kernel Library Version ");
    blas = "MKL " + version.substr(0, version.find(' ')) + " (inside LibTorch; " + mkl_vendor_check() + ")";
  } else {  // Debian: "generic", i.e. whatever libblas.so.3 resolves to
    const std::string loaded = loaded_library({"libopenblas", "libmkl_", "libblis", "libblas.so"});
    if (!loaded.empty()) blas += " -> " + loaded;
  }
  out += fmt::format("BLAS: {}\n", blas.empty() ? "unknown" : blas);
  const std::string capability = torch_config_line("CPU capability usage: ");
  // gen's own CPU kernels (util/cpu_kernels_isa.h) pick their clone separately.
  out += fmt::format("CPU: {}; LibTorch kernels: {}; gen's kernels: {}", cpu_flags(),
                     capability.empty() ? "?" : capability, cpu_kernels_isa());
  return out;
}

}  // namespace gen
