// One Transformer layer's causal attention on the CPU through gen's kernel
// (src/models/causal_attention_cpu.h), timed forward and forward + backward: the op-level
// figures of docs/RESULTS.md, where whole steps cannot resolve a kernel change on a noisy host.
// Built against the LibTorch in .venv with the kernel's own sources, from the checkout's root
// (the c++ command is one line):
//   T=$PWD/.venv/lib/python3.11/site-packages/torch
//   c++ -O3 -std=c++20 -fopenmp -DGEN_WITH_OPENMP -Wno-psabi -I src -isystem $T/include
//       -isystem $T/include/torch/csrc/api/include scripts/attention_layer_times.cpp
//       src/models/causal_attention_cpu.cpp src/util/cpu_kernels_isa.cpp -o /tmp/attention_layer_times
//       -L$T/lib -ltorch -ltorch_cpu -lc10 -Wl,-rpath,$T/lib
//   /tmp/attention_layer_times [threads=2] [isa: avx512bf16 | avx512 | avx2 | base] [B T C heads]
// The default shape is transformer_shakespeare_cpu.yaml's (12 x 64 tokens, 128 wide, 4 heads),
// in bf16; each figure is the best of 7 rounds of 200 calls (best_time.h).
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "best_time.h"
#include "models/causal_attention_cpu.h"
#include "util/cpu_kernels_isa.h"

int main(int argc, char** argv) {
  torch::set_num_threads(argc > 1 ? std::atoi(argv[1]) : 2);
  if (argc > 2) gen::force_cpu_kernels_isa(argv[2]);
  const int64_t batch = argc > 6 ? std::atoll(argv[3]) : 12, tokens = argc > 6 ? std::atoll(argv[4]) : 64,
                channels = argc > 6 ? std::atoll(argv[5]) : 128, heads = argc > 6 ? std::atoll(argv[6]) : 4;
  torch::manual_seed(0);
  const torch::Tensor qkv = torch::randn({batch, tokens, 3 * channels}).to(torch::kBFloat16).requires_grad_();
  const torch::Tensor upstream = torch::randn({batch, tokens, channels}).to(torch::kBFloat16);
  const double forward = best_seconds([&] {
    torch::NoGradGuard no_grad;
    gen::causal_attention_cpu(qkv, heads);
  });
  const double both = best_seconds([&] {
    gen::causal_attention_cpu(qkv, heads).backward(upstream);
    qkv.mutable_grad().reset();
  });
  std::printf("%s, %d threads, (%ld, %ld, %ld, %ld heads) bf16: forward %.1f us, forward + backward %.1f us\n",
              gen::cpu_kernels_isa().c_str(), torch::get_num_threads(), long(batch), long(tokens), long(channels),
              long(heads), forward * 1e6, both * 1e6);
}
