#include "models/linear_bf16_cpu.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "models/gelu_cpu.h"
#include "util/bf16_bits.h"
#include "util/cpu_kernels_isa.h"

namespace gen {

namespace {

#if defined(__x86_64__)
// Everything the products call is compiled for AVX512_BF16 and inlined into them (the pair dot
// product's instruction is only valid, to clang, in functions compiled for it); the lambdas
// on_every_thread runs are not, so each calls a function with the target.
#define GEN_LINEAR_TARGET __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16,avx2,fma")))
#define GEN_LINEAR_INLINE inline __attribute__((always_inline)) GEN_LINEAR_TARGET

typedef float Vec __attribute__((vector_size(64)));
typedef uint32_t UVec __attribute__((vector_size(64)));
typedef uint16_t U16Vec __attribute__((vector_size(32)));
constexpr int64_t kLanes = 16;

// A tile of the product: kTileRows x kTileCols floats, 24 of the 32 vector registers, each
// pair of bf16 of the broadcast operand read once per kTileCols columns.
constexpr int64_t kTileRows = 12;
constexpr int64_t kTileCols = 32;
constexpr int64_t kTileVecs = kTileCols / kLanes;

// The operands of a product out (rows x cols) = sum over pairs p of a(r, p) . b(p, c), every
// a(r, p) and b(p, c) a pair of bf16 in 32 bits (the pair at 2p, 2p + 1 of the summed index).
//   a: row r's pairs at a[r * row_step + p * pair_step]: either rows of pairs (row_step the
//      row's length, pair_step 1: x or dy as they are) or pairs of rows (row_step 1: dy^T
//      interleaved by pack_pairs_of_rows), read one pair at a time, broadcast;
//   b: panels of kTileCols columns, panel j's pair p at b[(j * b_pairs + p) * kTileCols + c]
//      (b_pairs: the pairs each panel holds, `pairs` unless the product sums a part of them).
struct Operands {
  const uint32_t* a;
  int64_t a_ld;  // row_step or pair_step, whichever is not 1
  bool a_pairs_of_rows;
  const uint32_t* b;
  int64_t rows, pairs, cols;
  int64_t b_pairs = pairs;
};

// acc + a.lo b.lo + a.hi b.hi per lane, a's one pair broadcast from memory to every lane (the
// instruction itself: GCC 12's and clang's intrinsics for it differ in their operand types).
GEN_LINEAR_INLINE void dot_pair(Vec& acc, const Vec& b, const uint32_t* a) {
  asm("vdpbf16ps %2%{1to16%}, %1, %0" : "+v"(acc) : "v"(b), "m"(*a));
}

// out = one full tile of the product over all pairs. The rows are addressed from four bases
// three rows apart, so that every address is a base plus the row step times 1, 2 or none.
template <bool kPairsOfRows>
GEN_LINEAR_INLINE void tile_product(const uint32_t* a, int64_t a_ld, const uint32_t* b, int64_t pairs,
                                    float (&out)[kTileRows][kTileCols]) {
  const int64_t row_step = kPairsOfRows ? 1 : a_ld;
  const int64_t pair_step = kPairsOfRows ? a_ld : 1;
  Vec acc[kTileRows][kTileVecs];
#pragma GCC unroll 12
  for (int r = 0; r < kTileRows; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < kTileVecs; ++v) acc[r][v] = Vec{};
  }
  const uint32_t* base[4] = {a, a + 3 * row_step, a + 6 * row_step, a + 9 * row_step};
  for (int64_t p = 0; p < pairs; ++p) {
    Vec bv[kTileVecs];
#pragma GCC unroll 2
    for (int v = 0; v < kTileVecs; ++v) std::memcpy(&bv[v], b + v * kLanes, sizeof(Vec));
#pragma GCC unroll 4
    for (int g = 0; g < 4; ++g) {
#pragma GCC unroll 3
      for (int j = 0; j < 3; ++j) {
#pragma GCC unroll 2
        for (int v = 0; v < kTileVecs; ++v) dot_pair(acc[3 * g + j][v], bv[v], base[g] + j * row_step);
      }
    }
#pragma GCC unroll 4
    for (int g = 0; g < 4; ++g) base[g] += pair_step;
    b += kTileCols;
  }
#pragma GCC unroll 12
  for (int r = 0; r < kTileRows; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < kTileVecs; ++v) std::memcpy(&out[r][v * kLanes], &acc[r][v], sizeof(Vec));
  }
}

// bf16 bits (in the low half of each lane) of 16 floats, rounded as c10::BFloat16 rounds, NaN
// its quiet NaN.
GEN_LINEAR_INLINE UVec bf16_lanes(const float* src) {
  UVec bits;
  std::memcpy(&bits, src, sizeof bits);
  const UVec nan = (bits & 0x7FFFFFFFu) > 0x7F800000u;
  UVec rounded = bits;
  round_to_bf16_bits(rounded);
  return (rounded & ~nan) | ((UVec{} + uint32_t(kBf16NaNBits)) & nan);
}
GEN_LINEAR_INLINE UVec bf16_lanes(const c10::BFloat16* src) {
  U16Vec h;
  std::memcpy(&h, src, sizeof h);
  return __builtin_convertvector(h, UVec);
}
template <typename T>
GEN_LINEAR_INLINE uint32_t bf16_bits(T x) {
  return c10::BFloat16(float(x)).x;
}

// dst[panel][p][c] (panels of `width` columns) = the pair (src[2p][c], src[2p + 1][c]) in bf16,
// rows past `rows` and columns past `cols` zero: the rows of src (ld elements apart) taken two
// at a time, which is how the summed index runs down b (and down a transposed).
template <typename T>
GEN_LINEAR_TARGET void pack_pairs_of_rows(const T* src, int64_t ld, int64_t rows, int64_t cols, int64_t width,
                                          int64_t panels, int64_t p_begin, int64_t p_end, uint32_t* dst) {
  const int64_t pairs = (rows + 1) / 2;
  for (int64_t p = p_begin; p < p_end; ++p) {
    const T* lo = src + 2 * p * ld;
    const T* hi = 2 * p + 1 < rows ? lo + ld : nullptr;
    for (int64_t panel = 0; panel < panels; ++panel) {
      uint32_t* out = dst + (panel * pairs + p) * width;
      const int64_t first = panel * width;
      const int64_t n = std::clamp<int64_t>(cols - first, 0, width);
      int64_t c = 0;
      for (; c + kLanes <= n; c += kLanes) {
        const UVec pair = bf16_lanes(lo + first + c) | (hi ? bf16_lanes(hi + first + c) << 16 : UVec{});
        std::memcpy(out + c, &pair, sizeof pair);
      }
      for (; c < n; ++c) {
        out[c] = bf16_bits(lo[first + c]) | (hi ? bf16_bits(hi[first + c]) << 16 : 0u);
      }
      std::fill(out + n, out + width, 0u);
    }
  }
}

// dst[panel][p][c] = the pair (src[c][2p], src[c][2p + 1]) in bf16 for rows c of src (cols
// floats each, `rows` of them; panels of kTileCols rows, zero past `rows`): a weight read along
// its rows as the forward product's b. Each row is rounded in vectors, then written down its
// panel's column.
GEN_LINEAR_TARGET void pack_pairs_of_columns(const float* src, int64_t rows, int64_t cols, int64_t c_begin,
                                             int64_t c_end, uint32_t* dst) {
  const int64_t pairs = cols / 2;
  thread_local std::vector<uint32_t> row;  // one row's pairs, kept by each thread between calls
  if (int64_t(row.size()) < pairs) row.resize(pairs);
  for (int64_t c = c_begin; c < c_end; ++c) {
    if (c < rows) {
      const float* in = src + c * cols;
      int64_t p = 0;
      for (; p + kLanes <= pairs; p += kLanes) {
        const UVec lo = bf16_lanes(in + 2 * p), hi = bf16_lanes(in + 2 * p + kLanes);
        const UVec even = __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        const UVec odd = __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        const UVec pair = even | odd << 16;
        std::memcpy(row.data() + p, &pair, sizeof pair);
      }
      for (; p < pairs; ++p) row[p] = bf16_bits(in[2 * p]) | bf16_bits(in[2 * p + 1]) << 16;
    } else {
      std::fill(row.begin(), row.begin() + pairs, 0u);
    }
    uint32_t* out = dst + (c / kTileCols) * pairs * kTileCols + c % kTileCols;
    for (int64_t p = 0; p < pairs; ++p) out[p * kTileCols] = row[p];
  }
}

// What a product's sums become besides themselves, each laid out as the output: in float, plus
// an addend; in bf16, also their GELU (gelu_lookup16 in gelu_bf16_values, models/gelu_cpu.h).
struct Epilogue {
  const float* addend = nullptr;
  uint16_t* gelu = nullptr;
  const uint16_t* gelu_values = nullptr;
};

// The tile's rows [0, rows) and columns [0, cols) into out (ld elements apart) at `offset`: bf16
// (rounded as c10::BFloat16 rounds), with its GELU where the epilogue asks for it, or float.
GEN_LINEAR_INLINE void write_tile(const float (&tile)[kTileRows][kTileCols], int64_t rows, int64_t cols,
                                  c10::BFloat16* out, int64_t ld, int64_t offset, const Epilogue& e) {
  out += offset;
  uint16_t* gelu = e.gelu ? e.gelu + offset : nullptr;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t c = 0;
    for (; c + kLanes <= cols; c += kLanes) {
      const UVec bits = bf16_lanes(&tile[r][c]);
      const U16Vec h = __builtin_convertvector(bits, U16Vec);
      std::memcpy(out + r * ld + c, &h, sizeof h);
      if (gelu) {
        const U16Vec g = gelu_lookup16(bits, e.gelu_values);
        std::memcpy(gelu + r * ld + c, &g, sizeof g);
      }
    }
    for (; c < cols; ++c) {
      out[r * ld + c] = c10::BFloat16(tile[r][c]);
      if (gelu) gelu[r * ld + c] = e.gelu_values[out[r * ld + c].x];
    }
  }
}
// In float, plus the epilogue's addend where there is one.
GEN_LINEAR_INLINE void write_tile(const float (&tile)[kTileRows][kTileCols], int64_t rows, int64_t cols, float* out,
                                  int64_t ld, int64_t offset, const Epilogue& e) {
  out += offset;
  const float* addend = e.addend ? e.addend + offset : nullptr;
  for (int64_t r = 0; r < rows; ++r) {
    if (!addend) {
      std::memcpy(out + r * ld, tile[r], cols * sizeof(float));
      continue;
    }
    int64_t c = 0;
    for (; c + kLanes <= cols; c += kLanes) {
      Vec sum, add;
      std::memcpy(&sum, &tile[r][c], sizeof sum);
      std::memcpy(&add, addend + r * ld + c, sizeof add);
      sum += add;
      std::memcpy(out + r * ld + c, &sum, sizeof sum);
    }
    for (; c < cols; ++c) out[r * ld + c] = addend[r * ld + c] + tile[r][c];
  }
}

// Tile (t, panel) of the product of `o` into out.
template <typename T>
GEN_LINEAR_INLINE void one_tile(const Operands& o, T* out, int64_t ld, int64_t t, int64_t panel,
                                const Epilogue& epilogue, std::vector<uint32_t>& padded) {
  float tile[kTileRows][kTileCols];
  const int64_t rows = std::min(kTileRows, o.rows - t * kTileRows);
  const int64_t cols = std::min(kTileCols, o.cols - panel * kTileCols);
  const uint32_t* b = o.b + panel * o.b_pairs * kTileCols;
  if (o.a_pairs_of_rows) {
    tile_product<true>(o.a + t * kTileRows, o.a_ld, b, o.pairs, tile);
  } else {
    const uint32_t* a = o.a + t * kTileRows * o.a_ld;
    if (rows < kTileRows) {
      padded.assign(kTileRows * o.a_ld, 0u);
      std::memcpy(padded.data(), a, rows * o.a_ld * sizeof(uint32_t));
      a = padded.data();
    }
    tile_product<false>(a, o.a_ld, b, o.pairs, tile);
  }
  write_tile(tile, rows, cols, out, ld, t * kTileRows * ld + panel * kTileCols, epilogue);
}

// Tiles [begin, end) of the product of `o` into out (rows x cols, ld elements apart), through the
// epilogue, tiles counted along rows of tiles: a thread's share is whole rows of the output
// (tokens, where a is x or dy), the rows the same thread writes and reads in the ops before and
// after (layer norm, attention and the adds split rows as well), so that activations stay in that
// core's caches (lines the other core wrote can be slow to read: docs/RESULTS.md, "Two cores
// without a shared L3"). Within its rows a thread runs down a panel of b before the next
// (the panel stays in L1), except where a is pairs of rows (w's gradient: a packed dy^T of 200-800
// KB, read with a stride): there along a row of tiles, so that the tile's rows of a stay in cache
// across the panels. A last tile of fewer rows than kTileRows reads its rows of pairs from a zero-
// padded copy (pairs of rows are padded by their packing).
template <typename T>
GEN_LINEAR_TARGET void product_tiles(const Operands& o, T* out, int64_t ld, int64_t begin, int64_t end,
                                     const Epilogue& epilogue = {}) {
  if (begin >= end) return;
  const int64_t panels = (o.cols + kTileCols - 1) / kTileCols;
  std::vector<uint32_t> padded;
  if (o.a_pairs_of_rows) {
    for (int64_t u = begin; u < end; ++u) one_tile(o, out, ld, u / panels, u % panels, epilogue, padded);
    return;
  }
  const int64_t first_row = begin / panels, last_row = (end - 1) / panels;
  for (int64_t panel = 0; panel < panels; ++panel) {
    for (int64_t t = first_row; t <= last_row; ++t) {
      const int64_t u = t * panels + panel;
      if (u >= begin && u < end) one_tile(o, out, ld, t, panel, epilogue, padded);
    }
  }
}

int64_t tiles_of(const Operands& o) {
  return (o.rows + kTileRows - 1) / kTileRows * ((o.cols + kTileCols - 1) / kTileCols);
}

// Thread t's share [first, second) of n items split among `threads`.
std::pair<int64_t, int64_t> share(int64_t n, int t, int threads) { return {n * t / threads, n * (t + 1) / threads}; }

// body(t, threads) once on each of LibTorch's threads, in one OpenMP team (a product packs its
// operands, waits at one barrier and multiplies, where separate at::parallel_for calls would
// start the team twice), or once inline (one thread, or inside a parallel region already).
template <typename Body>
void on_every_thread(const Body& body) {
#if defined(_OPENMP)
  if (at::get_num_threads() > 1 && !at::in_parallel_region() && !omp_in_parallel()) {
    // No num_threads clause: LibTorch's own invoke_parallel avoids it (GOMP's thread pool, #32008).
#pragma omp parallel
    {
      at::internal::ThreadIdGuard guard(omp_get_thread_num());
      body(omp_get_thread_num(), omp_get_num_threads());
    }
    return;
  }
#endif
  body(0, 1);
}

// Every thread of on_every_thread's team waits for all. Nothing when the body runs alone: then
// it may run inside someone else's parallel region, whose threads would never reach this barrier.
void team_barrier(int threads) {
#if defined(_OPENMP)
  if (threads > 1) {
#pragma omp barrier
  }
#else
  (void)threads;
#endif
}

int64_t round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

// At least n elements of one of a product's operand buffers, kept by the calling thread between
// calls. A buffer only grows: resizing a vector up again would zero its new part on every call
// of a smaller layer after a larger one (0.4 ms per step, memset, in a perf profile).
uint32_t* scratch(int which, int64_t n) {
  thread_local std::vector<uint32_t> buffers[5];
  std::vector<uint32_t>& buffer = buffers[which];
  if (int64_t(buffer.size()) < n) buffer.resize(n);
  return buffer.data();
}

// y (M x N) = x (M x K, bf16) w^T, w (N x K) float, through the epilogue: in bf16 (and GELU),
// or in float (plus a residual).
template <typename T>
void forward_product(const c10::BFloat16* x, const float* w, int64_t m, int64_t n, int64_t k, T* y,
                     const Epilogue& epilogue) {
  const int64_t panels = (n + kTileCols - 1) / kTileCols;
  uint32_t* b = scratch(0, panels * kTileCols * (k / 2));
  const Operands o{reinterpret_cast<const uint32_t*>(x), k / 2, false, b, m, k / 2, n};
  on_every_thread([&](int t, int threads) {
    const auto [first, last] = share(panels, t, threads);
    pack_pairs_of_columns(w, n, k, first * kTileCols, last * kTileCols, b);
    team_barrier(threads);
    const auto [begin, end] = share(tiles_of(o), t, threads);
    product_tiles(o, y, n, begin, end, epilogue);
  });
}

// y's gradient dy (M x N), as the product's backward pass receives it: bf16 or float; where
// gelu_input (y itself, M x N bf16) is given, dy is the gradient of GELU(y) and the products read
// y's, dy GELU'(y), rounded to bf16 as gelu_cpu's backward pass rounds it.
struct OutputGradient {
  const c10::BFloat16* bf16 = nullptr;
  const float* f32 = nullptr;
  const c10::BFloat16* gelu_input = nullptr;
};

// Rows [first, last) of dy as the products read it, bf16 rows `ld` elements apart (ld: N rounded
// up to even; the column after an odd N zero, as a stale NaN there would survive w's zero row):
// rounded from float, or through GELU's slope.
GEN_LINEAR_TARGET void stage_rows(const OutputGradient& g, int64_t n, int64_t ld, int64_t first, int64_t last,
                                  c10::BFloat16* dst) {
  if (g.gelu_input && ld == n) return gelu_bf16_backward(g.bf16 + first * n, g.gelu_input + first * n,
                                                         dst + first * n, (last - first) * n);
  for (int64_t row = first; row < last; ++row) {
    c10::BFloat16* out = dst + row * ld;
    if (g.gelu_input) {
      gelu_bf16_backward(g.bf16 + row * n, g.gelu_input + row * n, out, n);
    } else if (g.f32) {
      const float* in = g.f32 + row * n;
      int64_t c = 0;
      for (; c + kLanes <= n; c += kLanes) {
        const U16Vec h = __builtin_convertvector(bf16_lanes(in + c), U16Vec);
        std::memcpy(out + c, &h, sizeof h);
      }
      for (; c < n; ++c) out[c] = c10::BFloat16(in[c]);
    } else {
      std::memcpy(out, g.bf16 + row * n, n * sizeof(c10::BFloat16));
    }
    if (ld > n) out[n] = c10::BFloat16(0.0f);
  }
}

// out[i] += in[i] for i in [begin, end).
GEN_LINEAR_TARGET void add_into(float* out, const float* in, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) out[i] += in[i];
}

// Both gradients of y = x w^T, each where its output is given, in one team:
//   dx (M x K, bf16) = dy w, dy (M x N) read as bf16 rows an even number of elements apart
//      (dy itself where it is so, otherwise a copy each thread stages for its pairs of rows);
//   dw (N x K, float) = dy^T x, the sum over the M rows taken in pairs of rows of dy (a) and of x
//      (b), in two halves of the pairs added at the end: (first half) + (second half), whatever
//      the thread count. With two threads each sums the half of the rows it staged and packed
//      itself (the rows it wrote in the forward pass and in the backward pass of the op after)
//      and reads back only half of the other's partial sums, 2 N K bytes where reading the
//      other's packed rows took M (N + K) (a quarter or less at the Transformer's sizes;
//      docs/RESULTS.md, "Two cores without a shared L3").
void gradients(const OutputGradient& g, const c10::BFloat16* x, const float* w, int64_t m, int64_t n, int64_t k,
               c10::BFloat16* dx, float* dw) {
  const int64_t panels = (k + kTileCols - 1) / kTileCols;
  const int64_t dx_pairs = (n + 1) / 2, dw_pairs = (m + 1) / 2, a_ld = round_up(n, kTileRows);
  const int64_t dy_ld = round_up(n, 2);
  const bool staged = g.f32 || g.gelu_input || dy_ld != n;
  uint32_t* w_pairs = dx ? scratch(0, panels * dx_pairs * kTileCols) : nullptr;
  uint32_t* dy_pairs = dw ? scratch(1, dw_pairs * a_ld) : nullptr;
  uint32_t* x_pairs = dw ? scratch(2, panels * dw_pairs * kTileCols) : nullptr;
  c10::BFloat16* staged_rows = staged ? reinterpret_cast<c10::BFloat16*>(scratch(3, m * dy_ld / 2)) : nullptr;
  float* upper = dw ? reinterpret_cast<float*>(scratch(4, n * k)) : nullptr;  // the second half's sums
  const c10::BFloat16* dy = staged ? staged_rows : g.bf16;
  const Operands for_dx{reinterpret_cast<const uint32_t*>(dy), dy_ld / 2, false, w_pairs, m, dx_pairs, k};
  const int64_t lower_pairs = dw_pairs / 2;
  const Operands for_dw[2] = {
      {dy_pairs, a_ld, true, x_pairs, n, lower_pairs, k, dw_pairs},
      {dy_pairs + lower_pairs * a_ld, a_ld, true, x_pairs + lower_pairs * kTileCols, n, dw_pairs - lower_pairs, k,
       dw_pairs}};
  on_every_thread([&](int t, int threads) {
    // Each thread stages the rows of the pairs it packs for dw (no barrier between the two).
    const auto [first, last] = share(dw_pairs, t, threads);
    if (staged) stage_rows(g, n, dy_ld, 2 * first, std::min(m, 2 * last), staged_rows);
    if (dx) {
      const auto [w_first, w_last] = share(dx_pairs, t, threads);
      pack_pairs_of_rows(w, k, n, k, kTileCols, panels, w_first, w_last, w_pairs);
    }
    if (dw) {
      pack_pairs_of_rows(dy, dy_ld, m, n, a_ld, 1, first, last, dy_pairs);
      pack_pairs_of_rows(x, k, m, k, kTileCols, panels, first, last, x_pairs);
    }
    team_barrier(threads);
    if (dx) {
      const auto [begin, end] = share(tiles_of(for_dx), t, threads);
      product_tiles(for_dx, dx, k, begin, end);
    }
    if (!dw) return;
    // Threads [0, threads / 2) sum the first half, the others the second (one thread: both).
    for (int half = 0; half < 2; ++half) {
      const int group_first = threads == 1 ? 0 : half * threads / 2;
      const int group_last = threads == 1 ? 1 : (half + 1) * threads / 2;
      if (t < group_first || t >= group_last) continue;
      const auto [begin, end] = share(tiles_of(for_dw[half]), t - group_first, group_last - group_first);
      product_tiles(for_dw[half], half == 0 ? dw : upper, k, begin, end);
    }
    team_barrier(threads);
    const auto [begin, end] = share(n * k, t, threads);
    add_into(dw, upper, begin, end);
  });
}

torch::Tensor rows_of(const torch::Tensor& t) { return t.reshape({-1, t.size(-1)}); }

// y = x w^T in bf16, or residual + x w^T in float, or (gelu) GELU(x w^T) in bf16 with x w^T kept
// for the backward pass.
struct LinearBf16Cpu : torch::autograd::Function<LinearBf16Cpu> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, const c10::optional<torch::Tensor>& residual,
                               bool gelu) {
    const torch::Tensor in = rows_of(x).to(torch::kBFloat16).contiguous();
    const torch::Tensor w = weight.contiguous();
    const int64_t m = in.size(0), k = in.size(1), n = w.size(0);
    torch::Tensor y, activated;
    if (residual) {
      const torch::Tensor addend = residual->contiguous();
      y = torch::empty({m, n}, addend.options());
      forward_product(in.data_ptr<c10::BFloat16>(), w.data_ptr<float>(), m, n, k, y.data_ptr<float>(),
                      Epilogue{addend.data_ptr<float>()});
    } else {
      y = torch::empty({m, n}, in.options());
      Epilogue epilogue;
      if (gelu) {
        activated = torch::empty({m, n}, in.options());
        epilogue.gelu = reinterpret_cast<uint16_t*>(activated.data_ptr<c10::BFloat16>());
        epilogue.gelu_values = gelu_bf16_values();
      }
      forward_product(in.data_ptr<c10::BFloat16>(), w.data_ptr<float>(), m, n, k, y.data_ptr<c10::BFloat16>(),
                      epilogue);
    }
    if (gelu) {
      ctx->save_for_backward({in, w, y});
    } else {
      ctx->save_for_backward({in, w});
    }
    ctx->saved_data["x_type"] = x.scalar_type();
    ctx->saved_data["residual"] = residual.has_value();
    std::vector<int64_t> shape = x.sizes().vec();
    shape.back() = n;
    return (gelu ? activated : y).view(shape);
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    TORCH_CHECK(!torch::GradMode::is_enabled(), "linear_bf16_cpu: no double backward (create_graph)");
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& in = saved[0];
    const torch::Tensor& w = saved[1];
    const bool gelu = saved.size() > 2;
    const int64_t m = in.size(0), k = in.size(1), n = w.size(0);
    // dy in float is rounded by the staging copy; through GELU, dy in bf16 as gelu_cpu takes it.
    const bool as_float = grads[0].scalar_type() == torch::kFloat && !gelu;
    const torch::Tensor dy = rows_of(grads[0]).to(as_float ? torch::kFloat : torch::kBFloat16).contiguous();
    OutputGradient g;
    if (as_float) {
      g.f32 = dy.data_ptr<float>();
    } else {
      g.bf16 = dy.data_ptr<c10::BFloat16>();
    }
    if (gelu) g.gelu_input = saved[2].data_ptr<c10::BFloat16>();
    torch::Tensor dx, dw;
    if (ctx->needs_input_grad(0)) dx = torch::empty({m, k}, in.options());
    if (ctx->needs_input_grad(1)) dw = torch::empty({n, k}, w.options());
    gradients(g, in.data_ptr<c10::BFloat16>(), w.data_ptr<float>(), m, n, k,
              dx.defined() ? dx.data_ptr<c10::BFloat16>() : nullptr, dw.defined() ? dw.data_ptr<float>() : nullptr);
    if (dx.defined()) {
      std::vector<int64_t> shape = grads[0].sizes().vec();
      shape.back() = k;
      dx = dx.view(shape).to(ctx->saved_data["x_type"].toScalarType());
    }
    // The residual's gradient is the sum's, as an add's.
    const bool residual = ctx->saved_data["residual"].toBool();
    return {dx, dw, residual && ctx->needs_input_grad(2) ? grads[0] : torch::Tensor(), torch::Tensor()};
  }
};
#endif

}  // namespace

bool linear_bf16_cpu_fits(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
#if defined(__x86_64__)
  if (bias.defined() || !x.defined() || !weight.defined() || !x.is_cpu() || !weight.is_cpu() || x.dim() < 1 ||
      weight.dim() != 2 || weight.scalar_type() != torch::kFloat ||
      (x.scalar_type() != torch::kFloat && x.scalar_type() != torch::kBFloat16)) {
    return false;
  }
  const int64_t k = weight.size(1), n = weight.size(0);
  return x.size(-1) == k && k > 0 && n > 0 && k % 2 == 0 && x.numel() > 0 &&
         cpu_kernels_isa() == "avx512bf16";
#else
  (void)x, (void)weight, (void)bias;
  return false;
#endif
}

torch::Tensor linear_bf16_cpu(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& residual) {
  TORCH_CHECK(linear_bf16_cpu_fits(x, weight, torch::Tensor()), "linear_bf16_cpu: x ", x.sizes(), " of ",
              x.scalar_type(), " and weight ", weight.sizes(), " of ", weight.scalar_type(),
              " are not a case it takes (or this CPU has no AVX512_BF16)");
  if (residual.defined()) {
    std::vector<int64_t> shape = x.sizes().vec();
    shape.back() = weight.size(0);
    TORCH_CHECK(residual.is_cpu() && residual.scalar_type() == torch::kFloat && residual.sizes() == shape,
                "linear_bf16_cpu: the residual ", residual.sizes(), " of ", residual.scalar_type(),
                " is not the product's shape ", c10::IntArrayRef(shape), " in float on the CPU");
  }
#if defined(__x86_64__)
  // Named for `gen bench --profile` and its FLOP counter (util/flop_counter.cpp), which reads
  // the product's FLOPs from x and weight; here, where gradients are still on.
  RECORD_FUNCTION(kLinearBf16CpuOp, std::vector<c10::IValue>({x, weight}));
  // An optional tensor: autograd takes no undefined tensor as an input.
  return LinearBf16Cpu::apply(x, weight,
                              residual.defined() ? c10::optional<torch::Tensor>(residual) : c10::nullopt, false);
#else
  return torch::Tensor();
#endif
}

torch::Tensor linear_gelu_bf16_cpu(const torch::Tensor& x, const torch::Tensor& weight) {
  TORCH_CHECK(linear_bf16_cpu_fits(x, weight, torch::Tensor()), "linear_gelu_bf16_cpu: x ", x.sizes(), " of ",
              x.scalar_type(), " and weight ", weight.sizes(), " of ", weight.scalar_type(),
              " are not a case it takes (or this CPU has no AVX512_BF16)");
#if defined(__x86_64__)
  RECORD_FUNCTION(kLinearGeluBf16CpuOp, std::vector<c10::IValue>({x, weight}));
  return LinearBf16Cpu::apply(x, weight, c10::nullopt, true);
#else
  return torch::Tensor();
#endif
}

}  // namespace gen
