#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include "models/causal_attention_cpu.h"
#include "models/gpt.h"
#include "support/kernel_isa.h"
#include "util/cpu_kernels_isa.h"
#include "util/flop_counter.h"

namespace {

// softmax(q k^T / sqrt(d) + causal mask) v per head of qkv (B, T, 3C), as (B, T, C), in qkv's
// type through LibTorch's own ops.
torch::Tensor reference(const torch::Tensor& qkv, int64_t heads) {
  const int64_t b = qkv.size(0), t = qkv.size(1), c = qkv.size(2) / 3, d = c / heads;
  const std::vector<torch::Tensor> parts = qkv.chunk(3, 2);
  const auto split = [&](const torch::Tensor& z) { return z.reshape({b, t, heads, d}).transpose(1, 2); };
  torch::Tensor logits = torch::matmul(split(parts[0]), split(parts[1]).transpose(-2, -1)) / std::sqrt(double(d));
  logits = logits.masked_fill(torch::ones({t, t}, torch::kBool).triu(1), -INFINITY);
  return torch::matmul(torch::softmax(logits, -1), split(parts[2])).transpose(1, 2).reshape({b, t, c});
}

double tolerance(torch::ScalarType dtype) {
  return dtype == torch::kFloat ? 1e-5 : dtype == torch::kHalf ? 5e-3 : 3e-2;
}

// The kernel's output and qkv gradient against float64's, in the input's precision.
void check_against_float64(int64_t batch, int64_t tokens, int64_t heads, int64_t dims, torch::ScalarType dtype) {
  torch::manual_seed(5);
  const torch::Tensor qkv = torch::randn({batch, tokens, 3 * heads * dims}).to(dtype).requires_grad_();
  const torch::Tensor qkv64 = qkv.detach().to(torch::kDouble).requires_grad_();
  const torch::Tensor out = gen::causal_attention_cpu(qkv, heads);
  const torch::Tensor want = reference(qkv64, heads);
  const torch::Tensor weights = torch::randn(want.sizes(), torch::kDouble);
  (out.to(torch::kDouble) * weights).sum().backward();
  (want * weights).sum().backward();
  INFO(gen::cpu_kernels_isa() << ", " << dtype << ", (B, T, heads, d) = (" << batch << ", " << tokens << ", "
                                       << heads << ", " << dims << ")");
  CHECK(out.scalar_type() == dtype);
  CHECK(out.sizes() == torch::IntArrayRef({batch, tokens, heads * dims}));
  CHECK((out.to(torch::kDouble) - want).abs().max().item<double>() < tolerance(dtype));
  CHECK(qkv.grad().scalar_type() == dtype);
  CHECK((qkv.grad().to(torch::kDouble) - qkv64.grad()).abs().max().item<double>() < 4 * tolerance(dtype));
}

}  // namespace

TEST_CASE("causal attention kernel: float64's values and gradients on every instruction set, type and shape",
          "[model]") {
  // (batch, tokens, heads, head dims): one token; dims below, at and past one vector of 16 and
  // past the 4 vectors summed at once; tokens not a whole number of 4-row groups or vectors;
  // the longest and widest it takes.
  const std::vector<std::vector<int64_t>> shapes = {{2, 1, 2, 16},  {3, 5, 2, 8},   {2, 17, 3, 24},
                                                    {2, 64, 4, 32}, {1, 99, 1, 80}, {1, 256, 2, 128}, {2, 13, 2, 9}};
  for (const std::string& isa : gen::test::kernel_instruction_sets()) {
    gen::test::with_kernel_isa(isa, [&] {
      for (const auto dtype : {torch::kFloat, torch::kBFloat16, torch::kHalf}) {
        for (const auto& s : shapes) check_against_float64(s[0], s[1], s[2], s[3], dtype);
      }
    });
  }
}

TEST_CASE("causal attention kernel: bf16 and fp16 results are the float32 computation's, rounded once", "[model]") {
  // The float clones compute in float whatever the type: on inputs a reduced type holds exactly,
  // their float32 results rounded (by LibTorch) are their reduced-type results, bit for bit: whole
  // vectors and the tail of a row (24 dims) converted each way. (Not bf16 on "avx512bf16", whose
  // products round the weights to bf16: the next test.)
  torch::manual_seed(9);
  const std::string float_clone = gen::cpu_kernels_avx512(gen::cpu_kernels_isa()) ? "avx512" : "";
  gen::test::with_kernel_isa(float_clone, [&] {
    for (const auto dtype : {torch::kBFloat16, torch::kHalf}) {
      const torch::Tensor input = torch::randn({2, 21, 3 * 2 * 24}).to(dtype);
      const torch::Tensor upstream = torch::randn({2, 21, 2 * 24}).to(dtype);
      std::vector<torch::Tensor> outs, grads;
      for (const auto type : {dtype, torch::kFloat}) {
        const torch::Tensor qkv = input.to(type).clone().requires_grad_();
        const torch::Tensor y = gen::causal_attention_cpu(qkv, 2);
        (y * upstream.to(type)).sum().backward();
        outs.push_back(y.detach().to(dtype));
        grads.push_back(qkv.grad().to(dtype));
      }
      INFO(dtype);
      CHECK(torch::equal(outs[0], outs[1]));
      CHECK(torch::equal(grads[0], grads[1]));
    }
  });
}

TEST_CASE("causal attention kernel: bf16 takes AVX512_BF16 dot products where the CPU has them, odd dims not",
          "[model]") {
  if (gen::cpu_kernels_isa() != "avx512bf16") {
    WARN("this CPU has no AVX512_BF16: the pair products are not run here");
    return;
  }
  // The pair path rounds the weights and the logits' gradient to bf16 before their products, so
  // its results differ from the float clone's (both within float64's tolerance: the first test);
  // with odd head dims, whose rows do not split into pairs, it is the float clone, bit for bit.
  torch::manual_seed(10);
  for (const int64_t dims : {32, 9}) {
    const torch::Tensor input = torch::randn({2, 37, 3 * 2 * dims}).to(torch::kBFloat16);
    const torch::Tensor upstream = torch::randn({2, 37, 2 * dims}).to(torch::kBFloat16);
    std::vector<torch::Tensor> outs, grads;
    for (const std::string isa : {"avx512bf16", "avx512"}) {
      gen::test::with_kernel_isa(isa, [&] {
        const torch::Tensor qkv = input.clone().requires_grad_();
        const torch::Tensor y = gen::causal_attention_cpu(qkv, 2);
        (y * upstream).sum().backward();
        outs.push_back(y.detach());
        grads.push_back(qkv.grad());
      });
    }
    INFO("head dims " << dims);
    CHECK(torch::equal(outs[0], outs[1]) == (dims % 2 != 0));
    CHECK(torch::equal(grads[0], grads[1]) == (dims % 2 != 0));
  }
}

TEST_CASE("causal attention kernel: a later token changes nothing before it, forward or backward", "[model]") {
  torch::manual_seed(6);
  const int64_t later = 10;
  for (const auto dtype : {torch::kFloat, torch::kBFloat16}) {
    const torch::Tensor clean = torch::randn({2, 40, 3 * 64}).to(dtype);
    // Upstream gradient on the rows before `later` only.
    const torch::Tensor upstream =
        torch::randn({2, 40, 64}).to(dtype).index_put_({torch::indexing::Slice(), torch::indexing::Slice(later)}, 0.0);
    torch::Tensor changed = clean.clone();
    changed.select(1, later).add_(5.0);  // its q, k and v
    torch::Tensor poisoned = clean.clone();
    poisoned.select(1, later + 3).fill_(NAN);
    std::vector<torch::Tensor> outs, grads;
    for (const torch::Tensor& input : {clean, changed, poisoned}) {
      const torch::Tensor qkv = input.clone().requires_grad_();
      const torch::Tensor y = gen::causal_attention_cpu(qkv, 4);
      outs.push_back(y.detach().narrow(1, 0, later));
      if (!input.isnan().any().item<bool>()) {
        (y * upstream).sum().backward();
        grads.push_back(qkv.grad().narrow(1, 0, later));
      }
    }
    INFO(dtype);
    CHECK(torch::equal(outs[0], outs[1]));
    CHECK(torch::equal(outs[0], outs[2]));  // a NaN in a future key or value stays out
    CHECK(torch::equal(grads[0], grads[1]));
  }
}

TEST_CASE("causal attention kernel: 1 and 2 threads give the same bits", "[model]") {
  torch::manual_seed(7);
  const int threads = at::get_num_threads();
  for (const auto dtype : {torch::kFloat, torch::kBFloat16}) {
    const torch::Tensor input = torch::randn({3, 33, 3 * 48}).to(dtype);
    const torch::Tensor upstream = torch::randn({3, 33, 48}).to(dtype);
    std::vector<torch::Tensor> outs, grads;
    for (const int n : {1, 2}) {
      at::set_num_threads(n);
      const torch::Tensor qkv = input.clone().requires_grad_();
      const torch::Tensor y = gen::causal_attention_cpu(qkv, 3);
      (y * upstream).sum().backward();
      outs.push_back(y.detach());
      grads.push_back(qkv.grad());
    }
    CHECK(torch::equal(outs[0], outs[1]));
    CHECK(torch::equal(grads[0], grads[1]));
  }
  at::set_num_threads(threads);
}

TEST_CASE("causal attention kernel: gen bench counts its forward pass as attention's FLOPs, with gradients",
          "[model]") {
  const torch::Tensor qkv = torch::randn({2, 24, 3 * 40}).requires_grad_();
  gen::FlopCount count;
  {
    gen::FlopCounter counter;
    gen::causal_attention_cpu(qkv, 5);
    count = counter.count();
  }
  // q k^T and att v: 2 T T d each per head, full (as nanoGPT's MFU counts attention).
  CHECK(count.with_grad == 4.0 * 2 * 24 * 24 * 40);
  CHECK(count.without_grad == 0);
  CHECK(count.ops == 1);
}

TEST_CASE("causal attention kernel: the cases it takes, and no double backward", "[model]") {
  const auto opts = torch::TensorOptions().dtype(torch::kBFloat16);
  CHECK(gen::causal_attention_cpu_fits(torch::zeros({2, 64, 3 * 128}, opts), 4));
  CHECK(gen::causal_attention_cpu_fits(torch::zeros({1, gen::kCausalAttentionCpuMaxTokens, 3 * 64}, opts), 1));
  CHECK_FALSE(gen::causal_attention_cpu_fits(torch::zeros({1, gen::kCausalAttentionCpuMaxTokens + 1, 96}, opts), 1));
  CHECK_FALSE(gen::causal_attention_cpu_fits(torch::zeros({1, 8, 3 * 2 * 130}, opts), 2));  // head dims 130
  CHECK_FALSE(gen::causal_attention_cpu_fits(torch::zeros({1, 8, 3 * 10}, opts), 4));       // 4 does not divide 10
  CHECK_FALSE(gen::causal_attention_cpu_fits(torch::zeros({1, 8, 96}, torch::kDouble), 1));
  CHECK_FALSE(gen::causal_attention_cpu_fits(torch::zeros({8, 96}, opts), 1));
  CHECK_THROWS_WITH(gen::causal_attention_cpu(torch::zeros({1, 8, 30}, opts), 4),
                    Catch::Contains("not a case it takes"));
  const torch::Tensor qkv = torch::randn({1, 8, 3 * 16}).requires_grad_();
  const torch::Tensor y = gen::causal_attention_cpu(qkv, 2);
  CHECK_THROWS_WITH(torch::autograd::grad({y.sum()}, {qkv}, {}, /*retain_graph=*/true, /*create_graph=*/true),
                    Catch::Contains("no double backward"));
}

TEST_CASE("causal attention kernel: the Transformer's attention layer runs it and gives the split heads' result",
          "[model]") {
  gen::GptShape shape;
  shape.n_head = 4;
  shape.n_embd = 64;
  gen::Attention attn(shape);
  attn->to(torch::kBFloat16);
  torch::manual_seed(8);
  const torch::Tensor x = torch::randn({2, 20, 64}).to(torch::kBFloat16);
  const torch::Tensor qkv = attn->c_attn->forward(x);
  const auto heads = qkv.split(64, 2);
  const torch::Tensor split =
      attn->causal_attention(attn->heads(heads[0]), attn->heads(heads[1]), attn->heads(heads[2]));
  const torch::Tensor want = attn->c_proj->forward(split.transpose(1, 2).reshape({2, 20, 64}));
  // The layer's counted ops: c_attn, the kernel, c_proj (the split heads' way adds a baddbmm and
  // a bmm in the kernel's place: 4).
  gen::FlopCount count;
  torch::Tensor out;
  {
    gen::FlopCounter counter;
    out = attn->forward(x);
    count = counter.count();
  }
  CHECK(count.ops == 3);
  CHECK((out.to(torch::kFloat) - want.to(torch::kFloat)).abs().max().item<float>() < 3e-2);
}
