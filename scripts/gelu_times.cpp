// The Transformer's GELU on the CPU, gen's kernel (src/models/gelu_cpu.h) against LibTorch's
// F::gelu (oneDNN's forward for float and bf16, ATen's backward): forward, and forward + backward
// through autograd, in float and bf16. Op-level figures for docs/RESULTS.md. Built against the
// LibTorch in .venv with the kernel's own sources, from the checkout's root (one c++ command):
//   T=$PWD/.venv/lib/python3.11/site-packages/torch
//   c++ -O3 -std=c++20 -fopenmp -DGEN_WITH_OPENMP -Wno-psabi -I src -isystem $T/include
//       -isystem $T/include/torch/csrc/api/include scripts/gelu_times.cpp src/models/gelu_cpu.cpp
//       src/util/cpu_kernels_isa.cpp -o /tmp/gelu_times -L$T/lib -ltorch -ltorch_cpu -lc10 -Wl,-rpath,$T/lib
//   /tmp/gelu_times [threads=2] [rows=768] [cols=512]
// The shape is one layer's MLP of transformer_shakespeare_cpu.yaml (12 x 64 tokens, 512 wide);
// each figure is the best of 7 rounds of 200 calls (best_time.h).
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>

#include "best_time.h"
#include "models/gelu_cpu.h"

int main(int argc, char** argv) {
  torch::set_num_threads(argc > 1 ? std::atoi(argv[1]) : 2);
  const int64_t rows = argc > 2 ? std::atoll(argv[2]) : 768;
  const int64_t cols = argc > 3 ? std::atoll(argv[3]) : 512;
  std::printf("%d threads, %ld x %ld, microseconds per call; gen / LibTorch\n", torch::get_num_threads(), long(rows),
              long(cols));
  std::printf("type  | forward           | forward + backward\n");
  for (const auto dtype : {torch::kFloat, torch::kBFloat16}) {
    torch::manual_seed(0);
    const torch::Tensor x = (torch::randn({rows, cols}) * 1.5).to(dtype);
    const torch::Tensor xg = x.clone().requires_grad_();
    const torch::Tensor dy = torch::randn({rows, cols}).to(dtype);
    double t[2][2];
    for (int gen = 0; gen < 2; ++gen) {
      const auto gelu = [&](const torch::Tensor& in) {
        return gen ? gen::gelu_cpu(in) : torch::nn::functional::gelu(in);
      };
      t[gen][0] = best_seconds([&] {
        torch::NoGradGuard no_grad;
        gelu(x);
      });
      t[gen][1] = best_seconds([&] {
        gelu(xg).backward(dy);
        xg.mutable_grad().reset();
      });
    }
    std::printf("%-5s | %7.1f / %7.1f | %8.1f / %8.1f\n", dtype == torch::kFloat ? "float" : "bf16", t[1][0] * 1e6,
                t[0][0] * 1e6, t[1][1] * 1e6, t[0][1] * 1e6);
  }
}
