// bf16 from float by bits, rounded as c10::BFloat16(float) rounds (to nearest, ties to even),
// written once for a uint32_t and for GCC vectors of them alike, so that gen's CPU kernels
// round a whole vector in integer steps. NaN is the caller's to keep: kBf16NaNBits.
#pragma once

#include <cstdint>

namespace gen {

// The upper 16 bits of a float's bits rounded to nearest even, from `bits` (uint32_t or a vector).
template <typename U>
inline __attribute__((always_inline)) U bf16_nearest_bits(const U& bits) {
  return (bits + (((bits >> 16) & 1u) + 0x7FFFu)) >> 16;
}

// The same in place: callers compiled for another target than this header's functions (gen's
// AVX-512 kernel clones) pass a vector by reference, which clang accepts across targets.
template <typename U>
inline __attribute__((always_inline)) void round_to_bf16_bits(U& bits) {
  bits = bf16_nearest_bits(bits);
}

// The quiet NaN c10::BFloat16 writes for any NaN.
constexpr uint16_t kBf16NaNBits = 0x7FC0;

}  // namespace gen
