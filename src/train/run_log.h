// What a run records besides train.log, in one place: every logged figure goes to
// metrics.jsonl and, with logging.tensorboard, to a TensorBoard event file along with the
// sample grids, text samples and the config. Rank 0 of a job holds the only one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/metric_value.h"
#include "io/event_file.h"
#include "io/metrics_log.h"

namespace cv {
class Mat;
}

namespace gen {

class RunLog {
 public:
  // Records of steps after `resume_step` (>= 0 on resume) left by a run that died after its
  // last checkpoint are dropped first; a fresh run (-1) records its config at step 0, a
  // resumed one at the step it continues from.
  RunLog(const Config& config, const std::string& dir, const std::string& metrics_file, int64_t resume_step);

  void figures(int64_t step, const MetricValues& values);
  void image(int64_t step, const std::string& tag, const cv::Mat& grid);
  void text(int64_t step, const std::string& tag, const std::string& text);
  // Forgets everything recorded after `step` (a guard rollback trains those steps again).
  void rewind(int64_t step);

 private:
  MetricsLog metrics_;
  std::unique_ptr<EventFile> events_;
};

}  // namespace gen
