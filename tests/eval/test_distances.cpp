#include <catch2/catch.hpp>

#include "eval/class_scores.h"
#include "eval/distances.h"

namespace {
gen::FeatureStats exact(std::vector<double> mean, const torch::Tensor& cov) {
  gen::FeatureStats s;
  s.mean = torch::tensor(mean, torch::kDouble);
  s.cov = cov.to(torch::kDouble);
  s.n = 1000;
  return s;
}

// A random rotation: FID is invariant when both covariances turn together.
torch::Tensor rotation(int64_t d, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  auto [q, r] = at::linalg_qr(torch::randn({d, d}, gen, torch::kDouble));
  (void)r;
  return q;
}
}  // namespace

TEST_CASE("fid: matches the closed form for Gaussians with commuting covariances, singular ones included", "[eval]") {
  // |mu_a - mu_b|^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2 = (1 + 4) + (1 + 1 + 9) = 16
  const torch::Tensor a = torch::diag(torch::tensor({1.0, 4.0, 9.0}, torch::kDouble));
  const torch::Tensor b = torch::diag(torch::tensor({4.0, 1.0, 0.0}, torch::kDouble));  // rank 2
  CHECK(gen::frechet_distance(exact({0, 0, 0}, a), exact({1, 2, 0}, b)) == Approx(16.0).epsilon(1e-9));
  const torch::Tensor q = rotation(3, 7);
  // Rotated, the zero eigenvalue comes out of LAPACK as +-1e-16 or so, and its square root as
  // 1e-8: what float64 can do for a singular covariance (MKL gives 10.99999996, OpenBLAS 11).
  CHECK(gen::frechet_distance(exact({0, 0, 0}, q.mm(a).mm(q.t())), exact({0, 0, 0}, q.mm(b).mm(q.t()))) ==
        Approx(11.0).epsilon(1e-8));
  // Symmetric in its arguments.
  CHECK(gen::frechet_distance(exact({1, 2, 0}, b), exact({0, 0, 0}, a)) == Approx(16.0).epsilon(1e-9));
}

TEST_CASE("fid: a set against itself is 0, and samples of two Gaussians approach the closed form", "[eval]") {
  auto gen = at::detail::createCPUGenerator(3);
  const torch::Tensor x = torch::randn({4000, 16}, gen, torch::kDouble).relu();  // ReLU features: many zeros
  const gen::FeatureStats s = gen::feature_stats(x);
  CHECK(gen::frechet_distance(s, s) == Approx(0.0).margin(1e-8));

  // N(0, I) vs N(m, 4 I) in 4 dimensions: |m|^2 + 4 * (1 - 2)^2 = 4 + 4 = 8.
  const torch::Tensor a = torch::randn({200000, 4}, gen, torch::kDouble);
  const torch::Tensor b = torch::randn({200000, 4}, gen, torch::kDouble) * 2 + 1;
  CHECK(gen::frechet_distance(gen::feature_stats(a), gen::feature_stats(b)) == Approx(8.0).epsilon(0.02));
}

TEST_CASE("fid: the matrix square root of a near-singular covariance squares back to it", "[eval]") {
  auto gen = at::detail::createCPUGenerator(5);
  const torch::Tensor f = torch::randn({50, 3}, gen, torch::kDouble);
  const torch::Tensor low_rank = f.mm(f.t()) / 3;  // 50 x 50, rank 3
  const torch::Tensor root = gen::psd_sqrt(low_rank);
  CHECK(torch::allclose(root.mm(root), low_rank, 1e-8, 1e-8));
  const gen::FeatureStats s = exact(std::vector<double>(50, 0.0), low_rank);
  CHECK(gen::frechet_distance(s, s) == Approx(0.0).margin(1e-8));
}

TEST_CASE("kid: near 0 for two samples of one distribution, clearly positive for different ones", "[eval]") {
  auto gen = at::detail::createCPUGenerator(9);
  const torch::Tensor a = torch::randn({2000, 8}, gen), b = torch::randn({2000, 8}, gen),
                      c = torch::randn({2000, 8}, gen) + 1;
  const gen::KidResult same = gen::kernel_distance(a, b, 10, 500, 1);
  const gen::KidResult diff = gen::kernel_distance(a, c, 10, 500, 1);
  CHECK(std::abs(same.mean) < 0.01);
  CHECK(diff.mean > 0.1);
  CHECK(diff.mean > 10 * std::abs(same.mean));
}

TEST_CASE("inception score: uniform one-hot predictions score the class count, identical ones score 1", "[eval]") {
  const int64_t k = 10;
  const torch::Tensor one_hot = torch::eye(k).repeat({20, 1});  // 200 rows, each class 20 times, 10 splits of 20
  const gen::InceptionScore is = gen::inception_score(one_hot, 10);
  CHECK(is.mean == Approx(double(k)).epsilon(1e-9));
  CHECK(is.std == Approx(0.0).margin(1e-9));
  const torch::Tensor same = torch::zeros({100, k}).index_fill_(1, torch::tensor({3}), 1.0);
  CHECK(gen::inception_score(same, 10).mean == Approx(1.0));
  // Soft uniform rows carry no information either.
  CHECK(gen::inception_score(torch::full({100, k}, 1.0 / k), 10).mean == Approx(1.0));
}

TEST_CASE("class coverage: all classes when balanced, one class gives 1/K and KL log K", "[eval]") {
  const int64_t k = 10;
  const gen::ClassCoverage all = gen::class_coverage(torch::eye(k).repeat({5, 1}));
  CHECK(all.covered == Approx(1.0));
  CHECK(all.kl_to_uniform == Approx(0.0).margin(1e-12));
  const torch::Tensor one = torch::zeros({50, k}).index_fill_(1, torch::tensor({2}), 1.0);
  const gen::ClassCoverage collapsed = gen::class_coverage(one);
  CHECK(collapsed.covered == Approx(0.1));
  CHECK(collapsed.kl_to_uniform == Approx(std::log(10.0)));
}
