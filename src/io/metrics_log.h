// metrics.jsonl: one JSON object per logged step, for plotting and for tests.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "core/metric_value.h"

namespace gen {

// {"step":100,"loss_d":0.69,...}; non-finite values are written as null (JSON has no NaN).
std::string metrics_json(int64_t step, const MetricValues& values);

// The complete lines of a metrics.jsonl, each ended by its newline, from a regular file of at
// most 1 GiB (IoError otherwise). A last line without its newline -- a write cut short by a
// crash -- is not among them: it goes to `torn` ("" when the file ends cleanly).
std::vector<std::string> read_metrics_lines(const std::string& path, std::string& torn);

class MetricsLog {
 public:
  // Appends to PATH; on resume, lines for steps after `resume_step` (written by a run that
  // died after its last checkpoint) are dropped first so the log has each step once. A torn
  // last line is dropped (and said) whenever the file is opened.
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
