// The Transformer's bias-free linear layers under bf16 on the CPU, gen's kernel
// (src/models/linear_bf16_cpu.h) against LibTorch's autocast linear (the weight cast to bf16,
// a bf16 mm, the weight's gradient cast back to float): forward, and forward + backward with
// the input's gradient, the weight's, or both. Op-level figures for docs/RESULTS.md, where whole
// steps cannot resolve a kernel change on a noisy host. Built against the LibTorch in .venv
// with the kernel's own sources, from the checkout's root (the c++ command is one line):
//   T=$PWD/.venv/lib/python3.11/site-packages/torch
//   c++ -O3 -std=c++20 -fopenmp -DGEN_WITH_OPENMP -Wno-psabi -I src -isystem $T/include
//       -isystem $T/include/torch/csrc/api/include scripts/linear_layer_times.cpp
//       src/models/linear_bf16_cpu.cpp src/util/cpu_kernels_isa.cpp -o /tmp/linear_layer_times
//       -L$T/lib -ltorch -ltorch_cpu -lc10 -Wl,-rpath,$T/lib
//   /tmp/linear_layer_times [threads=2] [rows=768]
// The shapes are transformer_shakespeare_cpu.yaml's (12 x 64 tokens, 128 wide); each figure is
// the best of 7 rounds of 200 calls (best_time.h).
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>

#include "best_time.h"
#include "models/linear_bf16_cpu.h"

namespace {

// What autocast's bf16 linear runs: the weight cast (its gradient cast back), a bf16 mm.
torch::Tensor libtorch_linear(const torch::Tensor& x, const torch::Tensor& w) {
  return torch::nn::functional::linear(x, w.to(torch::kBFloat16));
}

}  // namespace

int main(int argc, char** argv) {
  torch::set_num_threads(argc > 1 ? std::atoi(argv[1]) : 2);
  const int64_t rows = argc > 2 ? std::atoll(argv[2]) : 768;
  const int64_t shapes[][2] = {{128, 384}, {128, 128}, {128, 512}, {512, 128}};  // (K, N): qkv, proj, fc, fc's proj
  std::printf("%d threads, %ld rows, microseconds per call; gen / LibTorch\n", torch::get_num_threads(), long(rows));
  std::printf("   K    N | forward           | + dx and dw         | + dw only           | GFLOP/s fwd, all\n");
  for (const auto& [k, n] : shapes) {
    torch::manual_seed(0);
    const torch::Tensor x = torch::randn({rows, k}).to(torch::kBFloat16);
    const torch::Tensor w = torch::randn({n, k}).requires_grad_();
    const torch::Tensor xg = x.clone().requires_grad_();
    const torch::Tensor dy = torch::randn({rows, n}).to(torch::kBFloat16);
    double t[2][3];
    for (int gen = 0; gen < 2; ++gen) {
      const auto linear = [&](const torch::Tensor& in) {
        return gen ? gen::linear_bf16_cpu(in, w) : libtorch_linear(in, w);
      };
      t[gen][0] = best_seconds([&] {
        torch::NoGradGuard no_grad;
        linear(x);
      });
      t[gen][1] = best_seconds([&] {
        linear(xg).backward(dy);
        xg.mutable_grad().reset();
        w.mutable_grad().reset();
      });
      t[gen][2] = best_seconds([&] {
        linear(x).backward(dy);
        w.mutable_grad().reset();
      });
    }
    const double flop = 2.0 * double(rows) * double(k) * double(n);
    std::printf("%4ld %4ld | %7.1f / %7.1f | %8.1f / %8.1f | %8.1f / %8.1f | %3.0f / %3.0f, %3.0f / %3.0f\n", long(k),
                long(n), t[1][0] * 1e6, t[0][0] * 1e6, t[1][1] * 1e6, t[0][1] * 1e6, t[1][2] * 1e6, t[0][2] * 1e6,
                flop / t[1][0] / 1e9, flop / t[0][0] / 1e9, 3 * flop / t[1][1] / 1e9, 3 * flop / t[0][1] / 1e9);
  }
}
