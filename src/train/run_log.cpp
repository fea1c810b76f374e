#include "train/run_log.h"

#include <opencv2/core.hpp>

#include "io/image_file.h"

namespace gen {

namespace {
// Indented by four spaces: a markdown code block keeps line breaks and spacing as written.
std::string code_block(const std::string& text) {
  std::string out = "    ";
  for (const char c : text) {
    out += c;
    if (c == '\n') out += "    ";
  }
  return out;
}
}  // namespace

RunLog::RunLog(const Config& config, const std::string& dir, const std::string& metrics_file, int64_t resume_step)
    : metrics_(metrics_file, resume_step) {
  if (!config.logging.tensorboard) return;
  events_ = std::make_unique<EventFile>(dir, resume_step);
  events_->text(std::max<int64_t>(resume_step, 0), "config", code_block(config_to_yaml(config, /*comments=*/false)));
}

void RunLog::figures(int64_t step, const MetricValues& values) {
  metrics_.write(step, values);
  if (events_) events_->scalars(step, values);
}

void RunLog::image(int64_t step, const std::string& tag, const cv::Mat& grid) {
  if (events_) events_->image(step, tag, encode_png(grid), grid.rows, grid.cols, grid.channels());
}

void RunLog::text(int64_t step, const std::string& tag, const std::string& text) {
  if (events_) events_->text(step, tag, code_block(text));
}

void RunLog::rewind(int64_t step) {
  metrics_.rewind(step);
  if (events_) events_->rewind(step);
}

}  // namespace gen
