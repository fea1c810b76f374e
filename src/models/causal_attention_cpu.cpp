#include "models/causal_attention_cpu.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/record_function.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace gen {

namespace {

// Everything a kernel calls is inlined into it, so that each instruction-set clone below
// compiles all of it for its own target.
#define GEN_INLINE inline __attribute__((always_inline))
// A 64-byte vector passed by value is an ABI question only across calls; these never are one.
#if defined(__GNUC__)  // GCC and clang
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

// 16 floats in GCC's / clang's vector extension: one AVX-512 register, two AVX2 ones, four SSE
// ones, whichever the compiled clone below targets.
constexpr int64_t kLanes = 16;
typedef float Vec __attribute__((vector_size(64)));
typedef int32_t IVec __attribute__((vector_size(64)));
typedef float Vec8 __attribute__((vector_size(32)));
typedef int32_t IVec8 __attribute__((vector_size(32)));
typedef float Vec4 __attribute__((vector_size(16)));
typedef int32_t IVec4 __attribute__((vector_size(16)));

// Query rows taken together: each key or value loaded serves all of them, and their sums are
// independent chains of FMAs rather than one long one.
constexpr int64_t kRows = 4;

const IVec kLaneIndex = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

GEN_INLINE Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
GEN_INLINE void store(float* p, const Vec& v) { std::memcpy(p, &v, sizeof v); }
GEN_INLINE Vec splat(float x) { return Vec{} + x; }
template <typename V, typename M>
GEN_INLINE V select(const M& mask, const V& yes, const V& no) {
  return (V)(((M)yes & mask) | ((M)no & ~mask));
}
// Lanes of the block starting at column `first` that lie before column n.
GEN_INLINE IVec before(int64_t first, int64_t n) { return (kLaneIndex + int32_t(first)) < int32_t(n); }

template <typename Half, typename V>
GEN_INLINE void halves(const V& v, Half& lo, Half& hi) {
  std::memcpy(&lo, &v, sizeof lo);
  std::memcpy(&hi, reinterpret_cast<const char*>(&v) + sizeof lo, sizeof hi);
}
// Sums and maxima of a vector's lanes as trees (a chain of 15 scalar adds waits on each one).
GEN_INLINE float sum_lanes(const Vec& v) {
  Vec8 a, b;
  halves(v, a, b);
  a += b;
  Vec4 c, d;
  halves(a, c, d);
  c += d;
  return (c[0] + c[2]) + (c[1] + c[3]);
}
GEN_INLINE float max_lanes(const Vec& v) {
  Vec8 a, b;
  halves(v, a, b);
  a = select<Vec8, IVec8>(a > b, a, b);
  Vec4 c, d;
  halves(a, c, d);
  c = select<Vec4, IVec4>(c > d, c, d);
  return std::max(std::max(c[0], c[2]), std::max(c[1], c[3]));
}

// e^x for x <= 0 (Cephes' expf: x = n ln2 + r, a degree-6 polynomial in r, 2^n from the
// exponent bits; a few ulp). Below -87 it returns e^-87, which callers mask.
GEN_INLINE Vec exp_nonpositive(Vec x) {
  const Vec lo = splat(-87.0f);
  x = select<Vec, IVec>(x < lo, lo, x);
  const Vec round = splat(12582912.0f);  // 1.5 * 2^23: adding and subtracting it rounds to an integer
  const Vec n = (x * 1.44269504088896341f + round) - round;
  Vec r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  Vec p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const IVec bits = (__builtin_convertvector(n, IVec) + 127) << 23;
  return p * (Vec)bits;
}

// out[r] = sum_{j < n} w[r][j] rows[j] over NC x 16 columns, for kRows weight rows: a (kRows x n)
// by (n x 16 NC) product, the logits q k^T (rows: the transposed keys) as well as sums of rows.
template <int NC>
GEN_INLINE void weighted_sum(const float* w, int64_t w_stride, const float* rows, int64_t n, int64_t stride, float* out,
                             int64_t out_stride) {
  Vec acc[kRows][NC] = {};
  for (int64_t j = 0; j < n; ++j) {
    Vec row[NC];
    for (int c = 0; c < NC; ++c) row[c] = load(rows + j * stride + kLanes * c);
    for (int r = 0; r < kRows; ++r) {
      const float wr = w[r * w_stride + j];
      for (int c = 0; c < NC; ++c) acc[r][c] += row[c] * wr;
    }
  }
  for (int r = 0; r < kRows; ++r) {
    for (int c = 0; c < NC; ++c) store(out + r * out_stride + kLanes * c, acc[r][c]);
  }
}

// rows[j] += sum_r w[r][j] x[r] for j < n over NC x 16 dims.
template <int NC>
GEN_INLINE void add_scaled(const float* w, int64_t w_stride, const float* x, int64_t x_stride, float* rows, int64_t n,
                           int64_t stride) {
  Vec xv[kRows][NC];
  for (int r = 0; r < kRows; ++r) {
    for (int c = 0; c < NC; ++c) xv[r][c] = load(x + r * x_stride + kLanes * c);
  }
  for (int64_t j = 0; j < n; ++j) {
    float* row = rows + j * stride;
    Vec acc[NC];
    for (int c = 0; c < NC; ++c) acc[c] = load(row + kLanes * c);
    for (int r = 0; r < kRows; ++r) {
      const float wr = w[r * w_stride + j];
      for (int c = 0; c < NC; ++c) acc[c] += xv[r][c] * wr;
    }
    for (int c = 0; c < NC; ++c) store(row + kLanes * c, acc[c]);
  }
}

// Op<N>::run(first, args...) over `count` vectors in runs of N <= 4 (each N compiled with its
// accumulators in registers).
template <template <int> class Op, typename... Args>
GEN_INLINE void in_runs_of_4(int64_t count, Args... args) {
  for (int64_t first = 0; first < count; first += 4) {
    switch (std::min<int64_t>(4, count - first)) {
      case 4:
        Op<4>::run(first, args...);
        break;
      case 3:
        Op<3>::run(first, args...);
        break;
      case 2:
        Op<2>::run(first, args...);
        break;
      default:
        Op<1>::run(first, args...);
        break;
    }
  }
}
template <int NC>
struct WeightedSum {
  GEN_INLINE static void run(int64_t first, const float* w, int64_t w_stride, const float* rows, int64_t n,
                             int64_t stride, float* out, int64_t out_stride) {
    weighted_sum<NC>(w, w_stride, rows + kLanes * first, n, stride, out + kLanes * first, out_stride);
  }
};
template <int NC>
struct AddScaled {
  GEN_INLINE static void run(int64_t first, const float* w, int64_t w_stride, const float* x, int64_t x_stride,
                             float* rows, int64_t n, int64_t stride) {
    add_scaled<NC>(w, w_stride, x + kLanes * first, x_stride, rows + kLanes * first, n, stride);
  }
};

inline int64_t round_up(int64_t n) { return (n + kLanes - 1) / kLanes * kLanes; }

// One call's sizes: batch, tokens T, channels C, heads, head dims d; tp and dp pad T and d to
// whole vectors (tp >= every group of kRows rows).
struct Sizes {
  int64_t batch, tokens, channels, heads, dims, tp, dp;
  float scale;
};

Sizes sizes_of(const torch::Tensor& qkv, int64_t n_head) {
  Sizes s{};
  s.batch = qkv.size(0);
  s.tokens = qkv.size(1);
  s.channels = qkv.size(2) / 3;
  s.heads = n_head;
  s.dims = s.channels / n_head;
  s.tp = round_up(s.tokens);
  s.dp = round_up(s.dims);
  s.scale = float(1.0 / std::sqrt(double(s.dims)));
  return s;
}

// n elements to float times `scale`, and back: bf16 and float 16 at a time (a scalar bf16
// conversion costs more than the FMAs it feeds), other types one by one. bf16 rounds to nearest
// even with NaN kept, as c10::BFloat16(float) does.
typedef uint16_t U16Vec __attribute__((vector_size(32)));
typedef uint32_t UVec __attribute__((vector_size(64)));

template <typename T>
GEN_INLINE void to_float(const T* src, int64_t n, float scale, float* dst) {
  for (int64_t c = 0; c < n; ++c) dst[c] = float(src[c]) * scale;
}
GEN_INLINE void to_float(const float* src, int64_t n, float scale, float* dst) {
  int64_t c = 0;
  for (; c + kLanes <= n; c += kLanes) store(dst + c, load(src + c) * scale);
  for (; c < n; ++c) dst[c] = src[c] * scale;
}
GEN_INLINE void to_float(const c10::BFloat16* src, int64_t n, float scale, float* dst) {
  int64_t c = 0;
  for (; c + kLanes <= n; c += kLanes) {
    U16Vec half;
    std::memcpy(&half, src + c, sizeof half);
    store(dst + c, (Vec)(__builtin_convertvector(half, UVec) << 16) * scale);
  }
  for (; c < n; ++c) dst[c] = float(src[c]) * scale;
}

template <typename T>
GEN_INLINE void from_float(const float* src, int64_t n, float scale, T* dst) {
  for (int64_t c = 0; c < n; ++c) dst[c] = T(src[c] * scale);
}
GEN_INLINE void from_float(const float* src, int64_t n, float scale, float* dst) {
  int64_t c = 0;
  for (; c + kLanes <= n; c += kLanes) store(dst + c, load(src + c) * scale);
  for (; c < n; ++c) dst[c] = src[c] * scale;
}
GEN_INLINE void from_float(const float* src, int64_t n, float scale, c10::BFloat16* dst) {
  int64_t c = 0;
  for (; c + kLanes <= n; c += kLanes) {
    const Vec f = load(src + c) * scale;
    const UVec bits = (UVec)f;
    const UVec rounded = (bits + (((bits >> 16) & 1u) + 0x7FFFu)) >> 16;
    const UVec kept = (UVec)select<IVec, IVec>(f != f, IVec{} + 0x7FC0, (IVec)rounded);
    const U16Vec half = __builtin_convertvector(kept, U16Vec);
    std::memcpy(dst + c, &half, sizeof half);
  }
  for (; c < n; ++c) dst[c] = c10::BFloat16(src[c] * scale);
}

// A 16 x 16 block transposed in registers: each stage swaps the off-diagonal K x K blocks of
// every 2K x 2K block (K = 8, 4, 2, 1), one two-vector shuffle per row.
template <int K, size_t... L>
GEN_INLINE Vec with_low_blocks(const Vec& a, const Vec& b, std::index_sequence<L...>) {
  return __builtin_shufflevector(a, b, ((L & K) == 0 ? int(L) : int(kLanes + L - K))...);
}
template <int K, size_t... L>
GEN_INLINE Vec with_high_blocks(const Vec& a, const Vec& b, std::index_sequence<L...>) {
  return __builtin_shufflevector(a, b, ((L & K) == 0 ? int(L + K) : int(kLanes + L))...);
}
template <int K>
GEN_INLINE void swap_blocks(Vec* r) {
  for (int i = 0; i < kLanes; ++i) {
    if (i & K) continue;
    const Vec a = r[i], b = r[i + K];
    r[i] = with_low_blocks<K>(a, b, std::make_index_sequence<kLanes>{});
    r[i + K] = with_high_blocks<K>(a, b, std::make_index_sequence<kLanes>{});
  }
}
GEN_INLINE void transpose_16x16(Vec* r) {
  swap_blocks<8>(r);
  swap_blocks<4>(r);
  swap_blocks<2>(r);
  swap_blocks<1>(r);
}

// Columns [first, first + d) of a sequence's T rows (row stride `row`) in float: transposed
// (d x tp, 16 x 16 blocks at a time) or as rows (tp x dp), zero-padded.
template <typename T>
GEN_INLINE void gather_transposed(const T* seq, int64_t row, int64_t first, const Sizes& s, float* out) {
  Vec block[kLanes];
  for (int64_t c0 = 0; c0 < s.dims; c0 += kLanes) {
    const int64_t width = std::min(kLanes, s.dims - c0);
    for (int64_t j0 = 0; j0 < s.tp; j0 += kLanes) {
      for (int64_t j = 0; j < kLanes; ++j) {
        float line[kLanes] = {};
        if (j0 + j < s.tokens) to_float(seq + (j0 + j) * row + first + c0, width, 1.0f, line);
        block[j] = load(line);
      }
      transpose_16x16(block);
      for (int64_t c = 0; c < width; ++c) store(out + (c0 + c) * s.tp + j0, block[c]);
    }
  }
}
template <typename T>
GEN_INLINE void gather_rows(const T* seq, int64_t row, int64_t first, const Sizes& s, float scale, float* out) {
  std::fill(out, out + s.tp * s.dp, 0.0f);
  for (int64_t j = 0; j < s.tokens; ++j) to_float(seq + j * row + first, s.dims, scale, out + j * s.dp);
}
template <typename T>
GEN_INLINE void scatter_rows(const float* in, const Sizes& s, float scale, int64_t row, int64_t first, T* seq) {
  for (int64_t j = 0; j < s.tokens; ++j) from_float(in + j * s.dp, s.dims, scale, seq + j * row + first);
}

// Query row i sees keys 0..i: n = i + 1 of them; a padding row past T sees none.
GEN_INLINE int64_t keys_seen(int64_t i, const Sizes& s) { return i < s.tokens ? i + 1 : 0; }

// weights[j] = exp(logits[j] - shift) for j < n, exactly 0 from n to the end of `blocks` (a
// masked logit never reaches a sum); returns their sum. Only the block holding n is masked.
GEN_INLINE float exp_row(float* logits, int64_t n, int64_t blocks, float shift) {
  const int64_t full = n / kLanes;
  Vec sum = {};
  for (int64_t b = 0; b < full; ++b) {
    const Vec p = exp_nonpositive(load(logits + kLanes * b) - shift);
    store(logits + kLanes * b, p);
    sum += p;
  }
  for (int64_t b = full; b < blocks; ++b) {
    Vec p = {};
    if (b == full && n % kLanes != 0) {
      p = select<Vec, IVec>(before(kLanes * b, n), exp_nonpositive(load(logits + kLanes * b) - shift), Vec{});
    }
    store(logits + kLanes * b, p);
    sum += p;
  }
  return sum_lanes(sum);
}

// The largest of logits[0, n), n >= 1.
GEN_INLINE float max_row(const float* logits, int64_t n) {
  const int64_t full = n / kLanes;
  float top = kNegInf;
  if (full > 0) {
    Vec m = load(logits);
    for (int64_t b = 1; b < full; ++b) {
      const Vec l = load(logits + kLanes * b);
      m = select<Vec, IVec>(l > m, l, m);
    }
    top = max_lanes(m);
  }
  for (int64_t j = kLanes * full; j < n; ++j) top = std::max(top, logits[j]);
  return top;
}

size_t forward_scratch(const Sizes& s) { return size_t(s.dims * s.tp + s.tp * s.dp + kRows * (s.dp + s.tp + s.dp)); }

// y and lse of head h of sequence b, kRows query rows at a time.
template <typename T>
GEN_INLINE void forward_head(const T* qkv, T* y, float* lse, const Sizes& s, int64_t b, int64_t h, float* work) {
  const int64_t row = 3 * s.channels, chunks = s.dp / kLanes;
  const T* seq = qkv + b * s.tokens * row;
  float* keys_t = work;                    // d x tp
  float* values = keys_t + s.dims * s.tp;  // tp x dp
  float* q = values + s.tp * s.dp;         // kRows x dp, scaled
  float* logits = q + kRows * s.dp;        // kRows x tp, then the weights
  float* out = logits + kRows * s.tp;      // kRows x dp
  gather_transposed(seq, row, s.channels + h * s.dims, s, keys_t);
  gather_rows(seq, row, 2 * s.channels + h * s.dims, s, 1.0f, values);
  std::fill(q, q + kRows * s.dp, 0.0f);
  float total[kRows], shift[kRows];
  for (int64_t i0 = 0; i0 < s.tokens; i0 += kRows) {
    const int64_t rows = std::min(kRows, s.tokens - i0), n = i0 + rows, blocks = (n + kLanes - 1) / kLanes;
    for (int64_t r = 0; r < rows; ++r) to_float(seq + (i0 + r) * row + h * s.dims, s.dims, s.scale, q + r * s.dp);
    in_runs_of_4<WeightedSum>(blocks, q, s.dp, keys_t, s.dims, s.tp, logits, s.tp);
    for (int64_t r = 0; r < kRows; ++r) {
      const int64_t seen = keys_seen(i0 + r, s);
      shift[r] = seen > 0 ? max_row(logits + r * s.tp, seen) : 0.0f;
      total[r] = exp_row(logits + r * s.tp, seen, blocks, shift[r]);
    }
    in_runs_of_4<WeightedSum>(chunks, logits, s.tp, values, n, s.dp, out, s.dp);
    for (int64_t r = 0; r < rows; ++r) {
      from_float(out + r * s.dp, s.dims, 1.0f / total[r], y + (b * s.tokens + i0 + r) * s.channels + h * s.dims);
      lse[(b * s.heads + h) * s.tokens + i0 + r] = shift[r] + std::log(total[r]);
    }
  }
}

size_t backward_scratch(const Sizes& s) {
  return size_t(2 * s.dims * s.tp + 5 * s.tp * s.dp + kRows * (2 * s.tp + s.dp));
}

// The gradients of head h of sequence b's q, k and v into dqkv, from dy and the saved lse:
// weights w rebuilt from the logits and lse, dlogits = w (dw - sum_j w_j dw_j) with dw = dy v^T.
template <typename T>
GEN_INLINE void backward_head(const T* qkv, const T* dy, const float* lse, T* dqkv, const Sizes& s, int64_t b,
                              int64_t h, float* work) {
  const int64_t row = 3 * s.channels, chunks = s.dp / kLanes;
  const T* seq = qkv + b * s.tokens * row;
  float* keys_t = work;                      // d x tp
  float* values_t = keys_t + s.dims * s.tp;  // d x tp
  float* keys = values_t + s.dims * s.tp;    // tp x dp
  float* queries = keys + s.tp * s.dp;       // tp x dp, scaled
  float* dout = queries + s.tp * s.dp;       // tp x dp
  float* dkeys = dout + s.tp * s.dp;         // tp x dp
  float* dvalues = dkeys + s.tp * s.dp;      // tp x dp
  float* w = dvalues + s.tp * s.dp;          // kRows x tp: the weights
  float* dw = w + kRows * s.tp;              // kRows x tp: their gradient, then the logits'
  float* dq = dw + kRows * s.tp;             // kRows x dp
  gather_transposed(seq, row, s.channels + h * s.dims, s, keys_t);
  gather_transposed(seq, row, 2 * s.channels + h * s.dims, s, values_t);
  gather_rows(seq, row, s.channels + h * s.dims, s, 1.0f, keys);
  gather_rows(seq, row, h * s.dims, s, s.scale, queries);
  gather_rows(dy + b * s.tokens * s.channels, s.channels, h * s.dims, s, 1.0f, dout);
  std::fill(dkeys, dkeys + 2 * s.tp * s.dp, 0.0f);
  const float* lse_h = lse + (b * s.heads + h) * s.tokens;
  T* dseq = dqkv + b * s.tokens * row;
  for (int64_t i0 = 0; i0 < s.tokens; i0 += kRows) {
    const int64_t rows = std::min(kRows, s.tokens - i0), n = i0 + rows, blocks = (n + kLanes - 1) / kLanes;
    in_runs_of_4<WeightedSum>(blocks, queries + i0 * s.dp, s.dp, keys_t, s.dims, s.tp, w, s.tp);
    in_runs_of_4<WeightedSum>(blocks, dout + i0 * s.dp, s.dp, values_t, s.dims, s.tp, dw, s.tp);
    for (int64_t r = 0; r < kRows; ++r) {
      const int64_t seen = keys_seen(i0 + r, s);
      float* wr = w + r * s.tp;
      float* dwr = dw + r * s.tp;
      exp_row(wr, seen, blocks, seen > 0 ? lse_h[i0 + r] : 0.0f);
      // Past `seen` a select, not a product with the zero weight: 0 * inf would be NaN.
      const int64_t full = seen / kLanes;
      const bool partial = seen % kLanes != 0;
      Vec dot = {};
      for (int64_t k = 0; k < full; ++k) dot += load(wr + kLanes * k) * load(dwr + kLanes * k);
      if (partial) {
        const IVec kept = before(kLanes * full, seen);
        dot += select<Vec, IVec>(kept, load(wr + kLanes * full) * load(dwr + kLanes * full), Vec{});
      }
      const float d_sum = sum_lanes(dot);
      for (int64_t k = 0; k < full; ++k) {
        store(dwr + kLanes * k, load(wr + kLanes * k) * (load(dwr + kLanes * k) - d_sum));
      }
      for (int64_t k = full; k < blocks; ++k) {
        Vec ds = {};
        if (k == full && partial) {
          ds = select<Vec, IVec>(before(kLanes * k, seen), load(wr + kLanes * k) * (load(dwr + kLanes * k) - d_sum),
                                 Vec{});
        }
        store(dwr + kLanes * k, ds);
      }
    }
    in_runs_of_4<WeightedSum>(chunks, dw, s.tp, keys, n, s.dp, dq, s.dp);
    for (int64_t r = 0; r < rows; ++r) from_float(dq + r * s.dp, s.dims, s.scale, dseq + (i0 + r) * row + h * s.dims);
    in_runs_of_4<AddScaled>(chunks, dw, s.tp, queries + i0 * s.dp, s.dp, dkeys, n, s.dp);
    in_runs_of_4<AddScaled>(chunks, w, s.tp, dout + i0 * s.dp, s.dp, dvalues, n, s.dp);
  }
  scatter_rows(dkeys, s, 1.0f, row, s.channels + h * s.dims, dseq);
  scatter_rows(dvalues, s, 1.0f, row, 2 * s.channels + h * s.dims, dseq);
}

// Each kernel compiled for AVX-512, AVX2 + FMA and the build's own target (plain x86-64 or
// another architecture), the widest the CPU runs chosen at run time: the 16-float vectors above
// are one register with AVX-512 and four without AVX.
#define GEN_HEAD_ARGS const T *qkv, const T *dy, float *lse, T *out, const Sizes &s, int64_t b, int64_t h, float *work
#define GEN_HEAD_PASS qkv, dy, lse, out, s, b, h, work
template <typename T>
GEN_INLINE void run_head(bool backward, GEN_HEAD_ARGS) {
  if (backward) {
    backward_head(qkv, dy, lse, out, s, b, h, work);
  } else {
    forward_head(qkv, out, lse, s, b, h, work);
  }
}
template <typename T>
void head_base(bool backward, GEN_HEAD_ARGS) {
  run_head(backward, GEN_HEAD_PASS);
}
#if defined(__x86_64__)
template <typename T>
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))) void head_avx512(bool backward, GEN_HEAD_ARGS) {
  run_head(backward, GEN_HEAD_PASS);
}
template <typename T>
__attribute__((target("avx2,fma"))) void head_avx2(bool backward, GEN_HEAD_ARGS) {
  run_head(backward, GEN_HEAD_PASS);
}
#endif
#undef GEN_HEAD_ARGS
#undef GEN_HEAD_PASS

std::string& isa_override() {
  static std::string isa;
  return isa;
}

std::string widest_isa() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl")) {
    return "avx512";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2";
#endif
  return "base";
}

template <typename T>
using HeadFn = void (*)(bool, const T*, const T*, float*, T*, const Sizes&, int64_t, int64_t, float*);

template <typename T>
HeadFn<T> head_kernel() {
  const std::string isa = causal_attention_cpu_isa();
#if defined(__x86_64__)
  if (isa == "avx512") return head_avx512<T>;
  if (isa == "avx2") return head_avx2<T>;
#endif
  return head_base<T>;
}

// The forward or backward pass of every (sequence, head), the heads shared among LibTorch's
// threads, each thread with its own scratch.
template <typename T>
void every_head(bool backward, const T* qkv, const T* dy, float* lse, T* out, const Sizes& s) {
  const HeadFn<T> head = head_kernel<T>();
  const size_t scratch = backward ? backward_scratch(s) : forward_scratch(s);
  at::parallel_for(0, s.batch * s.heads, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> work(scratch);
    for (int64_t task = begin; task < end; ++task) {
      head(backward, qkv, dy, lse, out, s, task / s.heads, task % s.heads, work.data());
    }
  });
}

struct CausalAttentionCpu : torch::autograd::Function<CausalAttentionCpu> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& qkv, int64_t n_head) {
    const torch::Tensor in = qkv.contiguous();
    const Sizes s = sizes_of(in, n_head);
    torch::Tensor y = torch::empty({s.batch, s.tokens, s.channels}, in.options());
    torch::Tensor lse = torch::empty({s.batch, s.heads, s.tokens}, in.options().dtype(torch::kFloat));
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, in.scalar_type(), "causal_attention_cpu", [&] {
      const scalar_t* src = in.data_ptr<scalar_t>();
      scalar_t* dst = y.data_ptr<scalar_t>();
      float* lse_data = lse.data_ptr<float>();
      every_head<scalar_t>(false, src, nullptr, lse_data, dst, s);
    });
    ctx->save_for_backward({in, lse});
    ctx->saved_data["n_head"] = n_head;
    return y;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& in = saved[0];
    const torch::Tensor& lse = saved[1];
    TORCH_CHECK(!torch::GradMode::is_enabled(), "causal_attention_cpu: no double backward (create_graph)");
    const torch::Tensor dy = grads[0].to(in.scalar_type()).contiguous();
    const Sizes s = sizes_of(in, ctx->saved_data["n_head"].toInt());
    torch::Tensor dqkv = torch::empty_like(in);
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, in.scalar_type(), "causal_attention_cpu_backward", [&] {
      const scalar_t* src = in.data_ptr<scalar_t>();
      const scalar_t* grad = dy.data_ptr<scalar_t>();
      float* lse_data = lse.data_ptr<float>();
      scalar_t* dst = dqkv.data_ptr<scalar_t>();
      every_head<scalar_t>(true, src, grad, lse_data, dst, s);
    });
    return {dqkv, torch::Tensor()};
  }
};

}  // namespace

bool causal_attention_cpu_fits(const torch::Tensor& qkv, int64_t n_head) {
  if (!qkv.defined() || !qkv.is_cpu() || qkv.dim() != 3 || n_head <= 0 || qkv.size(2) % (3 * n_head) != 0) {
    return false;
  }
  const auto type = qkv.scalar_type();
  if (type != torch::kFloat && type != torch::kBFloat16 && type != torch::kHalf) return false;
  const int64_t dims = qkv.size(2) / (3 * n_head);
  return qkv.size(1) >= 1 && qkv.size(1) <= kCausalAttentionCpuMaxTokens && dims >= 1 &&
         dims <= kCausalAttentionCpuMaxHeadDim;
}

std::string causal_attention_cpu_isa() {
  static const std::string widest = widest_isa();
  return isa_override().empty() ? widest : isa_override();
}

void force_causal_attention_cpu_isa(const std::string& isa) {
  TORCH_CHECK(isa.empty() || isa == "base" || (isa == "avx2" && widest_isa() != "base") ||
                  (isa == "avx512" && widest_isa() == "avx512"),
              "causal_attention_cpu: this CPU does not run ", isa);
  isa_override() = isa;
}

torch::Tensor causal_attention_cpu(const torch::Tensor& qkv, int64_t n_head) {
  TORCH_CHECK(causal_attention_cpu_fits(qkv, n_head), "causal_attention_cpu: qkv ", qkv.sizes(), " of ",
              qkv.scalar_type(), " on ", qkv.device(), " with ", n_head, " heads is not a case it takes");
  // Named for `gen bench --profile` and its FLOP counter (util/flop_counter.cpp), which reads
  // the model's FLOPs from qkv's shape; here, where gradients are still on.
  RECORD_FUNCTION(kCausalAttentionCpuOp, std::vector<c10::IValue>({qkv}));
  return CausalAttentionCpu::apply(qkv, n_head);
}

}  // namespace gen
