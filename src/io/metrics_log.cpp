#include "io/metrics_log.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <limits>

#include "util/errors.h"
#include "util/fs.h"
#include "util/input_file.h"

namespace gen {

std::string metrics_json(int64_t step, const MetricValues& values) {
  std::string out = "{\"step\":" + std::to_string(step);
  char buf[40];
  for (const auto& [key, value, better] : values) {
    if (std::isfinite(value)) {
      std::snprintf(buf, sizeof buf, "%.6g", value);
    } else {
      std::snprintf(buf, sizeof buf, "null");
    }
    out += ",\"" + key + "\":" + buf;
  }
  return out + "}";
}

std::vector<std::string> read_metrics_lines(const std::string& path, std::string& torn) {
  constexpr uint64_t kMaxMetricsBytes = uint64_t(1) << 30;
  const std::string bytes = InputFile(path).read_all(kMaxMetricsBytes, "metrics.jsonl");
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = bytes.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(bytes.substr(start, end - start));
  }
  torn = bytes.substr(start);
  return lines;
}

MetricsLog::MetricsLog(const std::string& path, int64_t resume_step) : path_(path) {
  if (path_exists(path)) rewind(resume_step >= 0 ? resume_step : std::numeric_limits<int64_t>::max());
  out_.open(path, std::ios::app);
  if (!out_) throw IoError(path + ": cannot open for writing");
}

void MetricsLog::rewind(int64_t step) {
  const bool was_open = out_.is_open();
  if (was_open) out_.close();
  std::string torn, kept;
  const std::vector<std::string> lines = read_metrics_lines(path_, torn);
  size_t dropped = 0;
  for (const std::string& line : lines) {
    long long at = -1;
    if (std::sscanf(line.c_str(), "{\"step\":%lld", &at) == 1 && at > step) {
      ++dropped;
      continue;
    }
    kept += line + "\n";
  }
  if (!torn.empty()) {
    spdlog::warn("{}: dropped its last line, cut short by a crash while it was written: {}", path_,
                 torn.substr(0, 80));
  }
  if (dropped == 0 && torn.empty()) {  // nothing to change: leave the file as it is
    if (was_open) {
      out_.open(path_, std::ios::app);
      if (!out_) throw IoError(path_ + ": cannot open for writing");
    }
    return;
  }
  write_file_atomic(path_, kept);
  if (was_open) {
    out_.open(path_, std::ios::app);
    if (!out_) throw IoError(path_ + ": cannot open for writing");
  }
}

void MetricsLog::write(int64_t step, const MetricValues& values) {
  out_ << metrics_json(step, values) << '\n';
  out_.flush();
  if (!out_) throw IoError(path_ + ": write failed");
}

}  // namespace gen
