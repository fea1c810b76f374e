#include "train/resume_checks.h"

#include <spdlog/spdlog.h>

#include "config/diff.h"
#include "util/errors.h"

namespace gen {

void check_resume_config(const Config& saved, const Config& now, const std::string& path, bool force) {
  std::string refused;
  for (const auto& c : config_differences(saved, now)) {
    const bool ok = change_allowed_on_resume(c.key);
    spdlog::info("config change since {}: {}: {} -> {}{}", path, c.key, c.before, c.after,
                 ok ? "" : (force ? " (forced)" : " (not allowed)"));
    if (!ok) refused += (refused.empty() ? "" : ", ") + c.key;
  }
  if (!refused.empty() && !force) {
    throw ConfigError(path + ": cannot resume: changed keys alter the model or data: " + refused +
                      " (restore them, start a new run, or pass --force)");
  }
}

void check_resume_data(const DataSpec& saved, const DataSpec& now, const std::string& path) {
  const std::string d = data_differences(saved, now);
  if (!d.empty()) {
    throw DataError(path + ": cannot resume: the data differs from the data it was trained on (" + d +
                    "); start a new run for this data");
  }
}

}  // namespace gen
