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

// The quiet NaN c10::BFloat16 writes for any NaN.
constexpr uint16_t kBf16NaNBits = 0x7FC0;

}  // namespace gen
