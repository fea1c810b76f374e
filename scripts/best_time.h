// The timing loop of gen's op-level timing programs (scripts/*_layer_times.cpp): after 20 calls
// of warm-up, the best of 7 rounds of 200 calls, in seconds per call.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>

inline double best_seconds(const std::function<void()>& call) {
  for (int i = 0; i < 20; ++i) call();
  double best = 1e30;
  for (int round = 0; round < 7; ++round) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 200; ++i) call();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 200);
  }
  return best;
}
