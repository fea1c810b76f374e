#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include "dist/local_sum.h"

namespace {

using namespace std::chrono_literals;

// Rank r's values for sum k: distinct per rank, size and dtype changing with k; every fifth is
// larger than a slot (2 or 3 rounds, the last one partial).
torch::Tensor values(int64_t rank, int k) {
  const auto dtype = k % 2 ? torch::kDouble : torch::kFloat;
  const int64_t n = k % 5 == 4 ? 70000 + k : 1 + k % 7;
  return torch::arange(n, torch::TensorOptions().dtype(dtype)) * (rank + 1) + k;
}

torch::Tensor expected(int64_t ranks, int k) {
  torch::Tensor s = values(0, k);
  for (int64_t r = 1; r < ranks; ++r) s = s + values(r, k);
  return s;
}

int exit_code(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("local sums: two processes add their tensors through shared memory, 40 sums in a row", "[dist]") {
  auto rank0 = gen::LocalSum::create(2, 10s);
  const std::string name = rank0->name();
  const pid_t child = fork();
  if (child == 0) {
    int bad = 0;
    try {
      auto rank1 = gen::LocalSum::attach(name, 1, 2, 10s);
      for (int k = 0; k < 40; ++k) {
        torch::Tensor t = values(1, k);
        rank1->sum(t);
        bad += !torch::equal(t, expected(2, k));
      }
    } catch (...) {
      _exit(2);
    }
    _exit(bad ? 1 : 0);
  }
  for (int k = 0; k < 40; ++k) {
    torch::Tensor t = values(0, k);
    rank0->sum(t);
    INFO("sum " << k);
    REQUIRE(torch::equal(t, expected(2, k)));
  }
  CHECK(exit_code(child) == 0);
  rank0->unlink();
  struct stat st {};
  CHECK(stat(("/dev/shm" + name).c_str(), &st) != 0);  // nothing left behind
}

TEST_CASE("local sums: a rank that exited is named within a second, not after the timeout", "[dist]") {
  auto rank0 = gen::LocalSum::create(2, 60s);
  const std::string name = rank0->name();
  const pid_t child = fork();
  if (child == 0) {
    try {
      auto rank1 = gen::LocalSum::attach(name, 1, 2, 60s);
      torch::Tensor t = values(1, 0);
      rank1->sum(t);  // one sum, then gone
    } catch (...) {
    }
    _exit(0);
  }
  torch::Tensor t = values(0, 0);
  rank0->sum(t);
  CHECK(exit_code(child) == 0);
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(rank0->sum(t), Catch::Contains("rank 1") && Catch::Contains("exited"));
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("local sums: a rank that stays away fails the sum after the timeout, naming it", "[dist]") {
  auto rank0 = gen::LocalSum::create(2, 1s);
  const std::string name = rank0->name();
  const pid_t child = fork();
  if (child == 0) {
    auto rank1 = gen::LocalSum::attach(name, 1, 2, 1s);
    std::this_thread::sleep_for(30s);
    _exit(0);
  }
  torch::Tensor t = values(0, 0);
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(rank0->sum(t), Catch::Contains("rank 1 did not arrive within 1 s"));
  CHECK(std::chrono::steady_clock::now() - start >= 1s);
  kill(child, SIGKILL);
  exit_code(child);
}

TEST_CASE("local sums: only contiguous CPU tensors go through shared memory", "[dist]") {
  CHECK(gen::LocalSum::fits(torch::zeros({3, 64 * 1024 + 1}, torch::kFloat)));
  CHECK_FALSE(gen::LocalSum::fits(torch::zeros({4, 4}).t()));
  CHECK_THROWS(gen::LocalSum::attach("/gen-sum-no-such-segment", 1, 2, 1s));
}
