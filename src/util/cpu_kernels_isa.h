// The instruction set gen's own CPU kernels run (the Transformer's attention, GELU's gradient,
// layer norm, clipping's global norm): one choice for all of them, the widest this CPU has
// unless a test forces a narrower one.
#pragma once

#include <string>

namespace gen {

// "avx512", "avx2" (with FMA) or "base" (the build's own target).
std::string cpu_kernels_isa();

// Forces `isa` until called with "" (the widest again); throws where this CPU cannot run it.
void force_cpu_kernels_isa(const std::string& isa);

}  // namespace gen
