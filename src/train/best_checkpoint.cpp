#include "train/best_checkpoint.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>

#include "util/fs.h"

namespace gen {

int64_t best_checkpoint_step(const std::string& checkpoints_dir) {
  const std::string path = checkpoints_dir + "/best.json";
  if (!path_exists(path)) return -1;
  try {
    return YAML::LoadFile(path)["step"].as<int64_t>();  // JSON is YAML
  } catch (const YAML::Exception&) {
    return -1;
  }
}

BestCheckpoint::BestCheckpoint(std::string metric, std::string checkpoints_dir)
    : metric_(std::move(metric)), dir_(std::move(checkpoints_dir)) {
  const std::string path = dir_ + "/best.json";
  if (metric_.empty() || !path_exists(path)) return;
  try {
    const YAML::Node n = YAML::LoadFile(path);  // JSON is YAML
    if (n["metric"].as<std::string>() == metric_) best_ = n["value"].as<double>();
  } catch (const YAML::Exception& e) {
    spdlog::warn("{}: unreadable ({}); the next evaluation starts a new best", path, e.what());
  }
}

void BestCheckpoint::offer(const MetricValues& values, int64_t step,
                           const std::function<void(const std::string&)>& save) {
  if (metric_.empty()) return;
  auto it = std::find_if(values.begin(), values.end(), [&](const MetricValue& v) { return v.name == metric_; });
  if (it == values.end()) {
    std::string names;
    for (const MetricValue& v : values) names += (names.empty() ? "" : ", ") + v.name;
    spdlog::warn("train.keep_best: {} is not among this run's evaluation figures ({}); no best.pt kept", metric_,
                 names);
    return;
  }
  const double v = it->value;
  if (!std::isfinite(v)) return;
  const bool higher = it->better == Better::kHigher;
  if (best_.has_value() && (higher ? v <= *best_ : v >= *best_)) return;
  save(dir_ + "/best.pt");
  write_file_atomic(dir_ + "/best.json",
                    fmt::format("{{\"metric\": \"{}\", \"value\": {:.10g}, \"step\": {}}}\n", metric_, v, step));
  spdlog::info("best {} so far: {:.6g} at step {}: {}/best.pt", metric_, v, step, dir_);
  best_ = v;
}

}  // namespace gen
