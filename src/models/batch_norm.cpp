#include "models/batch_norm.h"

#include "dist/world.h"

namespace gen {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// The sum over ranks, as an op autograd can differentiate: the gradient of a sum that every
// rank received is the sum of every rank's gradient, itself an all-reduce, and so on for the
// double backward pass of R1 through a synchronized D.
struct AllReduceSum : torch::autograd::Function<AllReduceSum> {
  static torch::Tensor forward(AutogradContext* /*ctx*/, const torch::Tensor& x) {
    torch::Tensor y = x.clone();
    world().sum(y);
    return y;
  }
  static tensor_list backward(AutogradContext* /*ctx*/, tensor_list grads) { return {AllReduceSum::apply(grads[0])}; }
};

}  // namespace

BatchNormImpl::BatchNormImpl(int64_t channels, bool sync_stats) : sync(sync_stats) {
  // The names and initial values of torch::nn::BatchNorm2d's.
  weight = register_parameter("weight", torch::ones({channels}));
  bias = register_parameter("bias", torch::zeros({channels}));
  running_mean = register_buffer("running_mean", torch::zeros({channels}));
  running_var = register_buffer("running_var", torch::ones({channels}));
  num_batches_tracked = register_buffer("num_batches_tracked", torch::tensor(0, torch::kLong));
}

torch::Tensor BatchNormImpl::forward(const torch::Tensor& x) {
  if (!is_training() || !sync || world().size() == 1) {
    if (is_training()) num_batches_tracked.add_(1);
    return torch::batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum, eps,
                             at::globalContext().userEnabledCuDNN());
  }
  num_batches_tracked.add_(1);
  // Per-channel sums of the global batch (double: the variance is E[x^2] - E[x]^2), through
  // autograd like the rest, so the backward pass and a second one sum over ranks as well.
  const int64_t c = x.size(1);
  const double n = double(x.numel() / c) * double(world().size());  // every rank holds an equal slice
  const torch::Tensor xd = x.to(torch::kDouble);
  const torch::Tensor sums = AllReduceSum::apply(torch::cat({xd.sum({0, 2, 3}), xd.pow(2).sum({0, 2, 3})}));
  const torch::Tensor mean = sums.narrow(0, 0, c) / n;
  const torch::Tensor var = (sums.narrow(0, c, c) / n - mean * mean).clamp_min(0);  // biased, as batch_norm's
  {
    torch::NoGradGuard no_grad;
    running_mean.mul_(1 - momentum).add_(mean.detach().to(running_mean.scalar_type()), momentum);
    running_var.mul_(1 - momentum).add_((var.detach() * (n / (n - 1))).to(running_var.scalar_type()), momentum);
  }
  auto channel = [&](const torch::Tensor& t) { return t.to(x.scalar_type()).view({1, c, 1, 1}); };
  return (x - channel(mean)) * channel((var + eps).rsqrt()) * weight.view({1, c, 1, 1}) + bias.view({1, c, 1, 1});
}

}  // namespace gen
