#pragma once
// One spelling for the LibTorch version guards: GEN_TORCH_AT_LEAST(2, 4) is true when gen is
// compiled against LibTorch 2.4 or newer. Which build compiles which branch: docs/BUILDING.md.
#include <torch/version.h>

#define GEN_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))
