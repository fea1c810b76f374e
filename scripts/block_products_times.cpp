// One Transformer block's four bias-free products under bf16 on the CPU, forward and backward in
// sequence as a training step runs them (qkv; attention's projection onto a float residual; the
// MLP's product and GELU; its projection onto the residual), timed as one: the layers' differing
// shapes share the kernel's operand buffers, as in a step. Op-level figures for
// docs/RESULTS.md, where whole steps cannot resolve a kernel change on a noisy host. Built from
// the checkout's root against the LibTorch in .venv (the c++ command is one line):
//   T=$PWD/.venv/lib/python3.11/site-packages/torch
//   c++ -O3 -std=c++20 -fopenmp -DGEN_WITH_OPENMP -Wno-psabi -I src -isystem $T/include
//       -isystem $T/include/torch/csrc/api/include scripts/block_products_times.cpp
//       src/models/linear_bf16_cpu.cpp src/models/gelu_cpu.cpp src/util/cpu_kernels_isa.cpp
//       -o /tmp/block_products_times -L$T/lib -ltorch -ltorch_cpu -lc10 -Wl,-rpath,$T/lib
//   /tmp/block_products_times [threads=2]
// It prints the block with the MLP's GELU as its own op (gelu_cpu) and folded into the product
// (linear_gelu_bf16_cpu), alternately, 4 rounds, each the best of 7 x 200 blocks (best_time.h).
// Add -DGEN_GELU_APART_ONLY to build it against sources older than linear_gelu_bf16_cpu.
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>

#include "best_time.h"
#include "models/gelu_cpu.h"
#include "models/linear_bf16_cpu.h"

int main(int argc, char** argv) {
  torch::set_num_threads(argc > 1 ? std::atoi(argv[1]) : 2);
  const int64_t rows = 768, width = 128;  // transformer_shakespeare_cpu.yaml: 12 x 64 tokens, 128 wide
  torch::manual_seed(0);
  const auto param = [](int64_t n, int64_t k) { return (torch::randn({n, k}) / 20).requires_grad_(); };
  const torch::Tensor w_qkv = param(3 * width, width), w_proj = param(width, width);
  const torch::Tensor w_fc = param(4 * width, width), w_out = param(width, 4 * width);
  const torch::Tensor x = torch::randn({rows, width}).to(torch::kBFloat16).requires_grad_();
  const torch::Tensor residual = torch::randn({rows, width}).requires_grad_();
  const auto block = [&](bool fused) {
    const torch::Tensor qkv = gen::linear_bf16_cpu(x, w_qkv);
    const torch::Tensor attended = gen::linear_bf16_cpu(qkv.narrow(1, 0, width).contiguous(), w_proj, residual);
#if defined(GEN_GELU_APART_ONLY)
    (void)fused;
    const torch::Tensor h = gen::gelu_cpu(gen::linear_bf16_cpu(x, w_fc));
#else
    const torch::Tensor h = fused ? gen::linear_gelu_bf16_cpu(x, w_fc) : gen::gelu_cpu(gen::linear_bf16_cpu(x, w_fc));
#endif
    const torch::Tensor y = gen::linear_bf16_cpu(h, w_out, attended);
    (y.sum() + qkv.to(torch::kFloat).sum()).backward();
    for (const torch::Tensor* t : {&w_qkv, &w_proj, &w_fc, &w_out, &x, &residual}) {
      const_cast<torch::Tensor*>(t)->mutable_grad().reset();
    }
  };
  std::printf("%d threads, microseconds per block: GELU apart / folded into the product\n", torch::get_num_threads());
  for (int round = 0; round < 4; ++round) {
    const double apart = best_seconds([&] { block(false); });
#if defined(GEN_GELU_APART_ONLY)
    std::printf("%8.1f / -\n", apart * 1e6);
#else
    const double fused = best_seconds([&] { block(true); });
    std::printf("%8.1f / %8.1f\n", apart * 1e6, fused * 1e6);
#endif
    std::fflush(stdout);
  }
}
