#include "io/metrics_log.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "util/errors.h"
#include "util/fs.h"

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

MetricsLog::MetricsLog(const std::string& path, int64_t resume_step) : path_(path) {
  if (resume_step >= 0 && path_exists(path)) rewind(resume_step);
  out_.open(path, std::ios::app);
  if (!out_) throw IoError(path + ": cannot open for writing");
}

void MetricsLog::rewind(int64_t step) {
  const bool was_open = out_.is_open();
  if (was_open) out_.close();
  std::ifstream in(path_);
  std::string kept, line;
  while (std::getline(in, line)) {
    long long at = -1;
    if (std::sscanf(line.c_str(), "{\"step\":%lld", &at) == 1 && at > step) continue;
    kept += line + "\n";
  }
  in.close();
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
