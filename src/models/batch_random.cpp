#include "models/batch_random.h"

#include "dist/world.h"
#include "models/dropout_noise.h"

namespace gen {

namespace {

// A local shape with the first dimension times the world size.
std::vector<int64_t> global_shape(at::IntArrayRef local) {
  std::vector<int64_t> shape = local.vec();
  shape[0] *= world().size();
  return shape;
}
std::vector<int64_t> global_shape(const torch::Tensor& local) { return global_shape(local.sizes()); }

torch::Tensor own_rows(const torch::Tensor& global, int64_t rows) {
  return global.narrow(0, world().rank() * rows, rows);
}

}  // namespace

torch::Tensor batch_randn(at::IntArrayRef shape, const torch::TensorOptions& options) {
  if (world().size() == 1) return torch::randn(shape, options);
  return own_rows(torch::randn(global_shape(shape), options), shape[0]);
}

torch::Tensor batch_rand(at::IntArrayRef shape, const torch::TensorOptions& options) {
  if (world().size() == 1) return torch::rand(shape, options);
  return own_rows(torch::rand(global_shape(shape), options), shape[0]);
}

torch::Tensor batch_randint(int64_t low, int64_t high, at::IntArrayRef shape, const torch::TensorOptions& options) {
  if (world().size() == 1) return torch::randint(low, high, shape, options);
  return own_rows(torch::randint(low, high, global_shape(shape), options), shape[0]);
}

torch::Tensor batch_randn_like(const torch::Tensor& local, bool split) {
  if (!split || world().size() == 1) return torch::randn_like(local);
  return own_rows(torch::randn(global_shape(local), local.options()), local.size(0));
}

torch::Tensor batch_dropout(const torch::Tensor& x, double p, bool training) {
  namespace F = torch::nn::functional;
  if (!training || p == 0) return x;
  // The CPU: the noise of the global batch's contiguous order from one seed, this rank's rows
  // drawn alone and in parallel (models/dropout_noise.h).
  if (x.is_cpu() && p < 1) return fused_dropout(x, p, draw_seed(), world().rank() * x.numel());
  // Elsewhere, one process and a contiguous x: dropout itself, which draws the same mask as
  // below. A non-contiguous x (a channels-last view, as attention's output reshaped to an image
  // is) would get its mask in memory order from dropout: one process and N ranks would differ.
  if (world().size() == 1 && x.is_contiguous()) return F::dropout(x, F::DropoutFuncOptions().p(p).training(true));
  // What dropout does (noise = bernoulli(1 - p) / (1 - p); x * noise), with the noise of the
  // global batch in the order of its contiguous copy.
  torch::Tensor noise = torch::empty(global_shape(x), x.options()).bernoulli_(1 - p);
  return x * own_rows(noise, x.size(0)).div_(1 - p);
}

torch::Tensor batch_bernoulli(const torch::Tensor& p, bool split) {
  if (!split || world().size() == 1) return torch::bernoulli(p);
  // bernoulli draws one number per element in order whatever p is: the other ranks' rows get
  // p = 0, and this rank's rows get the draws one process would give them.
  torch::Tensor global = torch::zeros(global_shape(p), p.options());
  own_rows(global, p.size(0)).copy_(p);
  return own_rows(torch::bernoulli(global), p.size(0));
}

}  // namespace gen
