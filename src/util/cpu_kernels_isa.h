// The instruction set gen's own CPU kernels run (the Transformer's attention, GELU's gradient,
// layer norm, clipping's global norm): one choice for all of them, the widest this CPU has
// unless a test forces a narrower one.
#pragma once

#include <string>

namespace gen {

// "avx512bf16" (AVX-512 with its bf16 dot products), "avx512", "avx2" (with FMA) or "base"
// (the build's own target).
std::string cpu_kernels_isa();

// Whether `isa` runs the AVX-512 clones ("avx512" or "avx512bf16": only the attention kernel
// has a clone of its own for the latter).
bool cpu_kernels_avx512(const std::string& isa);

// Forces `isa` until called with "" (the widest again); throws where this CPU cannot run it.
void force_cpu_kernels_isa(const std::string& isa);

}  // namespace gen
