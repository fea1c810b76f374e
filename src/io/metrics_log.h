// metrics.jsonl: one JSON object per logged step, for plotting and for tests.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include "core/metric_value.h"

namespace gen {

// {"step":100,"loss_d":0.69,...}; non-finite values are written as null (JSON has no NaN).
std::string metrics_json(int64_t step, const MetricValues& values);

class MetricsLog {
 public:
  // Appends to PATH; on resume, lines for steps after `resume_step` (written by a run that
  // died after its last checkpoint) are dropped first so the log has each step once.
  MetricsLog(const std::string& path, int64_t resume_step);
  void write(int64_t step, const MetricValues& values);
  // Drops the lines for steps after `step` (a guard rollback discards those steps: they are
  // trained again, and the log must not hold two histories).
  void rewind(int64_t step);

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace gen
