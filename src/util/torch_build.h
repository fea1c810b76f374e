// Facts about the LibTorch gen runs with, as that library reports them (at::show_config()).
#pragma once

#include <string>

namespace gen {

// The value of KEY in the "Build settings:" line of the running LibTorch's show_config()
// (e.g. TORCH_VERSION, BLAS_INFO, USE_CUDA, USE_NCCL); "" when absent.
std::string torch_build_setting(const std::string& key);

// The text after PREFIX on its line of show_config() (e.g. "CPU capability usage: "); "" when absent.
std::string torch_config_line(const std::string& prefix);

// GEN_MKL_VENDOR_CHECK=1: MKL answers its own CPU-vendor check (apps/gen/mkl_vendor_check.cpp).
bool mkl_own_vendor_check();

}  // namespace gen
