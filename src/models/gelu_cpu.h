// GELU (the exact one, x Phi(x) with erf, as nanoGPT and F::gelu) of float, bf16 and fp16 CPU
// tensors. 16-bit types by table: a 16-bit input has 65536 values, so the output of each is
// looked up (the float64 GELU rounded to nearest), and so is the float derivative the backward
// pass multiplies by; no erf or exp at run time; the backward pass keeps x, as F::gelu does.
// float from one exponential per element, which gives the derivative too; the forward pass keeps
// the derivative instead of x. Accuracy and timings against LibTorch's GELU: docs/RESULTS.md.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace gen {

// The name its forward pass runs under in LibTorch's RecordFunction (gen bench --profile).
constexpr const char* kGeluCpuOp = "gen::gelu_cpu";

// Whether gelu_cpu takes x: a float, bf16 or fp16 tensor on the CPU.
bool gelu_cpu_fits(const torch::Tensor& x);

// gelu(x) in x's type; differentiable once (the backward pass is not itself differentiable).
torch::Tensor gelu_cpu(const torch::Tensor& x);

// The bf16 table itself, for a kernel that applies GELU to its own output (models/
// linear_bf16_cpu.h): the GELU of each of the 65536 bf16 bit patterns, as bf16 bits, and one
// zero entry after them (so that 32 bits can be read at every entry, as gelu_lookup16 reads).
const uint16_t* gelu_bf16_values();

#if defined(__x86_64__)
typedef uint16_t GeluBits16 __attribute__((vector_size(32)));
typedef uint32_t GeluIndex16 __attribute__((vector_size(64)));

// table[index] for 16 indexes at once, by one AVX-512 gather of 32 bits at each 16-bit entry, the
// low half kept (the table's padding entry covers the last). Inlined into gelu_cpu's and the bf16
// linear kernel's AVX-512 clones. The gather is the masked intrinsic with a zero source: GCC 12's
// other AVX-512 intrinsics warn of their own undefined operands.
inline __attribute__((always_inline, target("avx512f"))) GeluBits16 gelu_lookup16(const GeluIndex16& index,
                                                                                  const uint16_t* table) {
  __m512i vector;
  std::memcpy(&vector, &index, sizeof vector);
  vector = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), __mmask16(0xFFFF), vector, table, 2);
  GeluIndex16 wide;
  std::memcpy(&wide, &vector, sizeof wide);
  return __builtin_convertvector(wide, GeluBits16);
}
#endif

// dx = dy GELU'(x) for n bf16 elements, rounded as gelu_cpu's backward pass rounds (the same
// bits); one thread, the instruction set's clone.
void gelu_bf16_backward(const c10::BFloat16* dy, const c10::BFloat16* x, c10::BFloat16* dx, int64_t n);

}  // namespace gen
