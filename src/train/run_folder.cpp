#include "train/run_folder.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cstdio>

#include "models/model_checkpoint.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/logging.h"

namespace gen {

RunFolder::RunFolder(const Config& config)
    : config_(config), dir_(config.run_dir()), checkpoints_(dir_ + "/checkpoints"), samples_(dir_ + "/samples") {}

RunFolder::~RunFolder() {
  if (logging_) stop_file_logging();
  if (lock_ && created_ && !opened_) {  // start-up failed before writing anything: leave no trace
    ::unlink(lock_->path().c_str());
    lock_.reset();
    ::rmdir(dir_.c_str());
  }
}

void RunFolder::lock() {
  created_ = !is_directory(dir_);
  make_dirs(dir_);
  lock_ = std::make_unique<FolderLock>(dir_);
}

std::string RunFolder::resume_path(const std::string& resume) const {
  if (resume.empty()) {
    if (!latest_checkpoint().empty()) {
      throw UsageError(
          dir_ +
          " already holds checkpoints; continue it with --resume auto, or start another run with --set name=NEW_NAME");
    }
    return "";
  }
  if (resume != "auto") return resume;
  const std::string latest = latest_checkpoint();
  if (latest.empty()) spdlog::info("--resume auto: no checkpoint in {}, starting fresh", checkpoints_);
  return latest;
}

void RunFolder::open() {
  opened_ = true;
  make_dirs(checkpoints_);
  make_dirs(samples_);
  log_to_file(dir_ + "/train.log");
  logging_ = true;
  if (const int64_t n = remove_partial_checkpoints(checkpoints_)) {
    spdlog::info("removed {} unfinished checkpoint write(s) left by an interrupted run", n);
  }
  write_file_atomic(dir_ + "/config.yaml", config_to_yaml(config_, true));
}

std::string RunFolder::sample_file(int64_t step, const char* ext) const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "/step_%07lld.%s", static_cast<long long>(step), ext);
  return samples_ + buf;
}

std::string RunFolder::latest_checkpoint() const { return gen::latest_checkpoint(checkpoints_); }

std::string RunFolder::save_checkpoint(int64_t step, const DataSpec& data, GenerativeModel& model, double lr_scale) {
  const std::string path = checkpoints_ + "/" + checkpoint_name(step);
  gen::save_checkpoint(path, config_, data, step, model, lr_scale);
  replace_symlink(checkpoints_ + "/latest.pt", checkpoint_name(step));
  prune_checkpoints(checkpoints_, config_.train.keep_last);
  return path;
}

}  // namespace gen
