#include "models/augment.h"

#include "models/batch_random.h"

namespace gen {

namespace F = torch::nn::functional;

torch::Tensor augment(const torch::Tensor& x, const AugmentOptions& a) {  // (B, C, H, W) in [-1, 1]
  torch::Tensor out = x;
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const auto idx = torch::TensorOptions().dtype(torch::kInt64).device(x.device());
  if (a.hflip) {
    const torch::Tensor flip = batch_rand({b, 1, 1, 1}, x.options()) < 0.5;
    out = torch::where(flip, out.flip({3}), out);
  }
  if (a.translate_px > 0) {
    const int64_t t = a.translate_px;
    const torch::Tensor padded = F::pad(out, F::PadFuncOptions({t, t, t, t}).value(-1.0));  // background is -1
    const torch::Tensor sy = batch_randint(0, 2 * t + 1, {b, 1}, idx), sx = batch_randint(0, 2 * t + 1, {b, 1}, idx);
    const torch::Tensor rows =
        (torch::arange(h, idx).unsqueeze(0) + sy).view({b, 1, h, 1}).expand({b, c, h, w + 2 * t});
    const torch::Tensor cols = (torch::arange(w, idx).unsqueeze(0) + sx).view({b, 1, 1, w}).expand({b, c, h, w});
    out = padded.gather(2, rows).gather(3, cols);
  }
  if (a.noise_std > 0) out = out + a.noise_std * batch_randn_like(out);
  return out;
}

}  // namespace gen
