#include "train/metric_window.h"

#include <algorithm>

namespace gen {

MetricWindow::MetricWindow() : start_(Clock::now()) {}

void MetricWindow::add(const StepResult& result) {
  for (const Metric& m : result.metrics) {
    auto it = std::find_if(sums_.begin(), sums_.end(), [&](const Sum& s) { return s.name == m.name; });
    if (it == sums_.end()) {
      sums_.push_back({m.name, m.better, m.value.detach().to(torch::kDouble), 1});
    } else {
      it->total.add_(m.value.detach());
      ++it->count;
    }
  }
}

void MetricWindow::restart() {
  sums_.clear();
  steps_ = 0;
  excluded_ = 0;
  start_ = Clock::now();
}

void MetricWindow::count_step() { ++steps_; }

void MetricWindow::exclude(double seconds) { excluded_ += seconds; }

MetricWindow::Summary MetricWindow::close() {
  Summary s;
  if (!sums_.empty()) {
    std::vector<torch::Tensor> totals;
    for (const Sum& sum : sums_) totals.push_back(sum.total);
    const torch::Tensor host = torch::stack(totals).to(torch::kCPU);  // the one device sync of the window
    for (size_t i = 0; i < sums_.size(); ++i) {
      s.means.push_back({sums_[i].name, host[int64_t(i)].item<double>() / double(sums_[i].count), sums_[i].better});
    }
  }
  const double seconds = std::max(std::chrono::duration<double>(Clock::now() - start_).count() - excluded_, 1e-9);
  s.steps = steps_;
  s.steps_per_s = double(steps_) / seconds;
  run_steps_ += steps_;
  run_seconds_ += seconds;
  s.run_steps_per_s = double(run_steps_) / run_seconds_;
  restart();
  return s;
}

}  // namespace gen
