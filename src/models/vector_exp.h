// e^x of a GCC/clang vector of floats, for gen's own CPU kernels (the attention's softmax, the
// float GELU): written with the vector extension so that each kernel's clone (AVX-512, AVX2,
// plain) compiles it for its own target when it inlines it.
#pragma once

namespace gen {

// e = e^x for x <= 0 (Cephes' expf: x = n ln2 + r, a degree-6 polynomial in r, 2^n from the
// exponent bits; a few ulp). Below -87 it gives e^-87, which callers mask. Vec holds floats,
// IVec as many int32. By reference: clang refuses vectors passed by value from a clone's target
// into a function without it, even one always inlined.
template <typename Vec, typename IVec>
inline __attribute__((always_inline)) void exp_nonpositive(const Vec& in, Vec& e) {
  const Vec lo = Vec{} - 87.0f;
  const IVec low = in < lo;
  const Vec x = (Vec)(((IVec)lo & low) | ((IVec)in & ~low));
  const Vec round = Vec{} + 12582912.0f;  // 1.5 * 2^23: adding and subtracting it rounds to an integer
  const Vec n = (x * 1.44269504088896341f + round) - round;
  Vec r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  Vec p = Vec{} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const IVec bits = (__builtin_convertvector(n, IVec) + 127) << 23;
  e = p * (Vec)bits;
}

}  // namespace gen
