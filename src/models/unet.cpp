#include "models/unet.h"

#include <cmath>

#include "models/attention_kernel.h"
#include "models/batch_random.h"
#include "models/memory_format.h"
#include "util/torch_version.h"

namespace gen {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {
nn::Conv2d conv3(int64_t in, int64_t out, int64_t stride = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1));
}
AutocastGroupNorm group_norm(int64_t groups, int64_t channels, double eps) {  // models/autocast_group_norm.h
  return AutocastGroupNorm(nn::GroupNormOptions(groups, channels).eps(eps));
}
}  // namespace

torch::Tensor timestep_embedding(const torch::Tensor& t, int64_t dim) {
  const int64_t half = dim / 2;
  const torch::Tensor exponent =
      torch::arange(0, half, t.options().dtype(torch::kFloat32)) * (-std::log(10000.0) / double(half));
  const torch::Tensor angles = t.to(torch::kFloat32).unsqueeze(1) * torch::exp(exponent).unsqueeze(0);
  torch::Tensor emb = torch::cat({torch::cos(angles), torch::sin(angles)}, 1);  // flipped: cos first
  if (dim % 2 == 1) emb = F::pad(emb, F::PadFuncOptions({0, 1, 0, 0}));
  return emb;
}

ResnetBlock2DImpl::ResnetBlock2DImpl(int64_t in, int64_t out, int64_t temb, const UNetShape& s)
    : dropout(s.dropout) {
  norm1 = register_module("norm1", group_norm(s.norm_groups, in, s.norm_eps));
  conv1 = register_module("conv1", conv3(in, out));
  time_emb_proj = register_module("time_emb_proj", nn::Linear(temb, out));
  norm2 = register_module("norm2", group_norm(s.norm_groups, out, s.norm_eps));
  conv2 = register_module("conv2", conv3(out, out));
  if (in != out) conv_shortcut = register_module("conv_shortcut", nn::Conv2d(nn::Conv2dOptions(in, out, 1)));
}

torch::Tensor ResnetBlock2DImpl::forward(const torch::Tensor& x, const torch::Tensor& temb_act) {
  torch::Tensor h = conv1(torch::silu(norm1(x)));
  h = h + time_emb_proj(temb_act).unsqueeze(-1).unsqueeze(-1);
  h = torch::silu(norm2(h));
  // The mask of the whole global batch (models/batch_random.h): data-parallel ranks train what one process trains.
  if (dropout > 0) h = batch_dropout(h, dropout, is_training());
  h = conv2(h);
  return (conv_shortcut ? conv_shortcut(x) : x) + h;
}

AttentionBlockImpl::AttentionBlockImpl(int64_t channels, const UNetShape& s)
    : heads(std::max<int64_t>(1, channels / s.attention_head_dim)) {
  group_norm = register_module("group_norm", gen::group_norm(s.norm_groups, channels, s.norm_eps));
  to_q = register_module("to_q", nn::Linear(channels, channels));
  to_k = register_module("to_k", nn::Linear(channels, channels));
  to_v = register_module("to_v", nn::Linear(channels, channels));
  to_out = register_module("to_out", nn::ModuleList(nn::Linear(channels, channels), nn::Dropout(0.0)));
}

torch::Tensor multi_head_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
#if GEN_TORCH_AT_LEAST(2, 0)
  if (!plain_attention_is_faster(q)) return at::scaled_dot_product_attention(q, k, v);
#endif
  return attention_weights(q, k, {}).matmul(v);
}

// diffusers' AttnProcessor2_0 on a 4-d input: tokens are the H*W positions, each head of
// channels / heads dimensions, softmax(q k^T / sqrt(d)) v, then the output projection and
// the residual.
torch::Tensor AttentionBlockImpl::forward(const torch::Tensor& x) {
  const int64_t b = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3), d = c / heads;
  const torch::Tensor tokens = group_norm(x).view({b, c, hw}).transpose(1, 2);  // (B, HW, C)
  auto split = [&](const torch::Tensor& y) { return y.view({b, hw, heads, d}).transpose(1, 2); };
  const torch::Tensor q = split(to_q(tokens)), k = split(to_k(tokens)), v = split(to_v(tokens));
  torch::Tensor a = multi_head_attention(q, k, v);
  a = a.transpose(1, 2).reshape({b, hw, c});
  a = to_out[0]->as<nn::LinearImpl>()->forward(a);
  return a.transpose(1, 2).reshape({b, c, x.size(2), x.size(3)}) + x;
}

UNet2DImpl::UNet2DImpl(const UNetShape& s) : shape(s) {
  const std::vector<int64_t>& ch = s.block_out_channels;
  const int64_t levels = int64_t(ch.size()), temb = 4 * ch[0];
  conv_in = register_module("conv_in", conv3(s.in_channels, ch[0]));
  time_embedding = register_module("time_embedding", nn::Sequential({{"linear_1", nn::Linear(ch[0], temb)},
                                                                     {"act", nn::SiLU()},
                                                                     {"linear_2", nn::Linear(temb, temb)}}));
  if (s.num_class_embeds > 0) {
    class_embedding = register_module("class_embedding", nn::Embedding(s.num_class_embeds, temb));
  }
  for (int64_t i = 0; i < levels; ++i) {  // UNet2DModel.__init__'s down blocks
    const int64_t in = ch[size_t(std::max<int64_t>(0, i - 1))], out = ch[size_t(i)];
    auto block = UNetBlock();
    for (int64_t j = 0; j < s.layers_per_block; ++j) {
      block->resnets->push_back(ResnetBlock2D(j == 0 ? in : out, out, temb, s));
      if (s.attention[size_t(i)]) block->attentions->push_back(AttentionBlock(out, s));
    }
    if (i + 1 < levels) block->samplers->push_back(nn::Sequential({{"conv", conv3(out, out, 2)}}));  // Downsample2D
    block->register_module("resnets", block->resnets);
    if (!block->attentions->is_empty()) block->register_module("attentions", block->attentions);
    if (!block->samplers->is_empty()) block->register_module("downsamplers", block->samplers);
    down_blocks->push_back(block);
  }
  register_module("down_blocks", down_blocks);
  mid_block = UNetBlock();
  mid_block->resnets->push_back(ResnetBlock2D(ch.back(), ch.back(), temb, s));
  mid_block->resnets->push_back(ResnetBlock2D(ch.back(), ch.back(), temb, s));
  if (s.mid_attention) {
    mid_block->attentions->push_back(AttentionBlock(ch.back(), s));
    mid_block->register_module("attentions", mid_block->attentions);
  }
  mid_block->register_module("resnets", mid_block->resnets);
  register_module("mid_block", mid_block);
  for (int64_t i = 0; i < levels; ++i) {  // UNet2DModel.__init__'s up blocks, deepest first
    const int64_t level = levels - 1 - i, out = ch[size_t(level)];
    const int64_t prev = ch[size_t(std::min(levels - 1, level + 1))], in = ch[size_t(std::max<int64_t>(0, level - 1))];
    auto block = UNetBlock();
    for (int64_t j = 0; j <= s.layers_per_block; ++j) {
      const int64_t skip = j == s.layers_per_block ? in : out;
      block->resnets->push_back(ResnetBlock2D((j == 0 ? prev : out) + skip, out, temb, s));
      if (s.attention[size_t(level)]) block->attentions->push_back(AttentionBlock(out, s));
    }
    if (level > 0) block->samplers->push_back(nn::Sequential({{"conv", conv3(out, out)}}));  // Upsample2D
    block->register_module("resnets", block->resnets);
    if (!block->attentions->is_empty()) block->register_module("attentions", block->attentions);
    if (!block->samplers->is_empty()) block->register_module("upsamplers", block->samplers);
    up_blocks->push_back(block);
  }
  register_module("up_blocks", up_blocks);
  conv_norm_out = register_module("conv_norm_out", group_norm(s.norm_groups, ch[0], s.norm_eps));
  conv_out = register_module("conv_out", conv3(ch[0], s.out_channels));
}

torch::Tensor UNet2DImpl::forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& labels) {
  torch::Tensor emb = time_embedding->forward(timestep_embedding(t, shape.block_out_channels[0]).to(x.dtype()));
  if (class_embedding) emb = emb + class_embedding(labels);
  const torch::Tensor emb_act = torch::silu(emb);  // every resnet projects silu(emb)
  torch::Tensor h = conv_in(like_weights(x, conv_in->weight));  // channels-last weights take channels-last input
  std::vector<torch::Tensor> skips{h};
  for (const auto& module : *down_blocks) {
    auto& block = *module->as<UNetBlockImpl>();
    for (size_t j = 0; j < block.resnets->size(); ++j) {
      h = block.resnets[j]->as<ResnetBlock2DImpl>()->forward(h, emb_act);
      if (!block.attentions->is_empty()) h = block.attentions[j]->as<AttentionBlockImpl>()->forward(h);
      skips.push_back(h);
    }
    if (!block.samplers->is_empty()) {
      h = block.samplers[0]->as<nn::SequentialImpl>()->forward(h);
      skips.push_back(h);
    }
  }
  h = mid_block->resnets[0]->as<ResnetBlock2DImpl>()->forward(h, emb_act);
  if (!mid_block->attentions->is_empty()) h = mid_block->attentions[0]->as<AttentionBlockImpl>()->forward(h);
  h = mid_block->resnets[1]->as<ResnetBlock2DImpl>()->forward(h, emb_act);
  for (const auto& module : *up_blocks) {
    auto& block = *module->as<UNetBlockImpl>();
    for (size_t j = 0; j < block.resnets->size(); ++j) {
      h = torch::cat({h, skips.back()}, 1);
      skips.pop_back();
      h = block.resnets[j]->as<ResnetBlock2DImpl>()->forward(h, emb_act);
      if (!block.attentions->is_empty()) h = block.attentions[j]->as<AttentionBlockImpl>()->forward(h);
    }
    if (!block.samplers->is_empty()) {
      h = F::interpolate(h, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest));
      h = block.samplers[0]->as<nn::SequentialImpl>()->forward(h);
    }
  }
  return conv_out(torch::silu(conv_norm_out(h)));
}

}  // namespace gen
