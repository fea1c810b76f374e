// The denoising U-Net of the diffusion family, built module for module like diffusers'
// UNet2DModel (diffusers/models/unets/unet_2d.py) with its default time embedding
// ("positional", flip_sin_to_cos, freq_shift 0), conv down- and upsampling, the deprecated
// attention block (GroupNorm, q/k/v/out projections, residual) and a class embedding added to
// the time embedding (num_class_embeds). Its parameter names are diffusers' names, so the state
// dict loads into UNet2DModel as it is (gen export --format diffusers).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "models/autocast_group_norm.h"

namespace gen {

struct UNetShape {
  int64_t in_channels = 1;
  int64_t out_channels = 1;
  std::vector<int64_t> block_out_channels{32, 64, 64};  // one level per entry; all but the last halve the side
  std::vector<bool> attention{false, false, true};     // which levels have self-attention (down and up blocks)
  bool mid_attention = true;
  int64_t layers_per_block = 1;  // resnets per down block (up blocks have one more)
  int64_t norm_groups = 32;
  double norm_eps = 1e-5;
  int64_t attention_head_dim = 8;
  double dropout = 0.0;
  int64_t num_class_embeds = 0;  // 0 = unconditional
};

// diffusers' get_timestep_embedding(t, dim, flip_sin_to_cos=True, downscale_freq_shift=0):
// (B) float timesteps -> (B, dim) float32 [cos | sin] at periods up to 10000.
torch::Tensor timestep_embedding(const torch::Tensor& t, int64_t dim);

// softmax(q k^T / sqrt(d)) v over (B, heads, tokens, d), by the kernel attention_kernel.h picks.
torch::Tensor multi_head_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v);

struct ResnetBlock2DImpl : torch::nn::Module {
  ResnetBlock2DImpl(int64_t in, int64_t out, int64_t temb, const UNetShape& s);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& temb_act);  // temb_act: silu(temb)
  AutocastGroupNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv_shortcut{nullptr};
  torch::nn::Linear time_emb_proj{nullptr};
  double dropout;
};
TORCH_MODULE(ResnetBlock2D);

struct AttentionBlockImpl : torch::nn::Module {
  AttentionBlockImpl(int64_t channels, const UNetShape& s);
  torch::Tensor forward(const torch::Tensor& x);
  AutocastGroupNorm group_norm{nullptr};
  torch::nn::Linear to_q{nullptr}, to_k{nullptr}, to_v{nullptr};
  torch::nn::ModuleList to_out;  // diffusers' [Linear, Dropout]
  int64_t heads;
};
TORCH_MODULE(AttentionBlock);

// A down block (DownBlock2D or AttnDownBlock2D), the mid block, or an up block (UpBlock2D or
// AttnUpBlock2D): the names are diffusers', the wiring is in UNet2DImpl::forward.
struct UNetBlockImpl : torch::nn::Module {
  torch::nn::ModuleList resnets, attentions;
  torch::nn::ModuleList samplers;  // "downsamplers" or "upsamplers": one {conv}, or empty
};
TORCH_MODULE(UNetBlock);

struct UNet2DImpl : torch::nn::Module {
  explicit UNet2DImpl(const UNetShape& shape);
  // x (B, C, H, W); t (B) float timesteps (a discrete schedule's step, or 1000 * the flow time);
  // labels (B) int64 when the model has a class embedding. Returns (B, out_channels, H, W).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& labels = {});

  UNetShape shape;
  torch::nn::Conv2d conv_in{nullptr}, conv_out{nullptr};
  torch::nn::Sequential time_embedding{nullptr};  // linear_1, act, linear_2 (TimestepEmbedding)
  torch::nn::Embedding class_embedding{nullptr};
  torch::nn::ModuleList down_blocks, up_blocks;
  UNetBlock mid_block{nullptr};
  AutocastGroupNorm conv_norm_out{nullptr};
};
TORCH_MODULE(UNet2D);

}  // namespace gen
