#include "train/metric_window.h"

#include <algorithm>

#include "dist/world.h"

namespace gen {

MetricWindow::MetricWindow() : start_(Clock::now()) {}

void MetricWindow::add(const StepResult& result) {
  // A skipped step's figures are usually NaN: masked out with where(), as NaN * 0 is NaN.
  const torch::Tensor skipped = result.skipped.defined() ? result.skipped.detach().to(torch::kBool) : torch::Tensor();
  for (const Metric& m : result.metrics) {
    auto it = std::find_if(sums_.begin(), sums_.end(), [&](const Sum& s) { return s.name == m.name; });
    if (it == sums_.end()) {
      const auto zero = torch::zeros({}, m.value.options().dtype(torch::kDouble));
      it = sums_.insert(sums_.end(), {m.name, m.better, zero, zero.clone()});
    }
    const torch::Tensor value = m.value.detach().to(torch::kDouble);
    if (skipped.defined()) {
      it->total.add_(torch::where(skipped, torch::zeros_like(value), value));
      it->count.add_(skipped.logical_not());
    } else {
      it->total.add_(value);
      it->count.add_(1);
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
    std::vector<torch::Tensor> parts;
    for (const Sum& sum : sums_) parts.push_back(sum.total), parts.push_back(sum.count);
    torch::Tensor all = torch::stack(parts);
    world().sum(all);  // data-parallel: sums and counts over every rank's slice of the batches
    const torch::Tensor host = all.to(torch::kCPU).contiguous();  // the one device sync of the window
    const double* v = host.data_ptr<double>();
    for (size_t i = 0; i < sums_.size(); ++i) {
      const double total = v[2 * i], count = v[2 * i + 1];
      if (count > 0) s.means.push_back({sums_[i].name, total / count, sums_[i].better});
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
