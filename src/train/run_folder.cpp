#include "train/run_folder.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "models/model_checkpoint.h"
#include "train/best_checkpoint.h"
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
  const auto found = step_checkpoints(checkpoints_);
  if (found.empty()) spdlog::info("--resume auto: no checkpoint in {}, starting fresh", checkpoints_);
  // The newest intact one: a damaged newer file is passed over (and set aside by open()).
  std::string damaged;
  for (auto it = found.rbegin(); it != found.rend(); ++it) {
    const std::string damage = checkpoint_damage(it->second);
    if (damage.empty()) {
      if (!damaged.empty()) spdlog::warn("--resume auto: continuing from {}, the newest intact checkpoint", it->second);
      return it->second;
    }
    spdlog::warn("--resume auto: passing over a damaged checkpoint: {}", damage);
    damaged = damage;
  }
  if (!damaged.empty())
    throw CheckpointError(checkpoints_ + ": no intact checkpoint to resume from (newest: " + damaged + ")");
  return "";
}

void RunFolder::open(int64_t resumed_step) {
  opened_ = true;
  // Before train.log is opened: a fresh run in a folder a killed run left writes a new train.log.
  const std::string earlier = resumed_step < 0 ? set_aside_earlier_history() : "";
  make_dirs(checkpoints_);
  make_dirs(samples_);
  log_to_file(dir_ + "/train.log");
  logging_ = true;
  if (const int64_t n = remove_partial_checkpoints(checkpoints_)) {
    spdlog::info("removed {} unfinished checkpoint write(s) left by an interrupted run", n);
  }
  if (!earlier.empty()) {
    spdlog::warn("{} held the log of an earlier run that wrote no checkpoint; this run starts fresh, and that "
                 "run's files are moved to {} (nothing deleted), so this folder keeps one history",
                 dir_, earlier);
  }
  if (resumed_step >= 0) set_aside_later_history(resumed_step);
  write_file_atomic(dir_ + "/config.yaml", config_to_yaml(config_, true));
}

namespace {

// "abandoned-20261130-201503" (UTC), made unique within `parent`.
std::string abandoned_folder(const std::string& parent) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(stamp, sizeof stamp, "abandoned-%Y%m%d-%H%M%S", &utc);
  std::string name = stamp;
  for (int i = 2; path_exists(parent + "/" + name); ++i) name = std::string(stamp) + "-" + std::to_string(i);
  return name;
}

void move_into(const std::string& from, const std::string& folder) {
  make_dirs(folder);
  const std::string to = folder + "/" + from.substr(from.rfind('/') + 1);
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    throw IoError(from + ": cannot move it to " + folder + ": " + std::strerror(errno));
  }
}

}  // namespace

std::string RunFolder::set_aside_earlier_history() {
  // What a run writes besides checkpoints (resume_path() refused a folder with those).
  std::vector<std::string> files;
  bool logged = false;
  for (const std::string& name : list_folder(dir_)) {
    if (name == "metrics.jsonl" || name == "train.log" || name == "curves.png" ||
        name.rfind("events.out.tfevents.", 0) == 0) {
      files.push_back(dir_ + "/" + name);
      logged = logged || name == "metrics.jsonl";
    }
  }
  std::vector<std::string> samples;
  for (const std::string& file : list_folder(samples_)) {
    if (file.rfind("step_", 0) == 0) samples.push_back(samples_ + "/" + file);
  }
  for (const char* f : {"/best.pt", "/best.json"}) {
    if (path_exists(checkpoints_ + f)) files.push_back(checkpoints_ + f);
  }
  if (!logged && samples.empty()) return "";  // a config.yaml and a lock: nothing was trained here
  const std::string folder = dir_ + "/" + abandoned_folder(dir_);
  for (const std::string& path : files) move_into(path, folder);
  for (const std::string& path : samples) move_into(path, folder + "/samples");
  return folder;
}

void RunFolder::set_aside_later_history(int64_t resumed_step) {
  std::vector<std::string> later;
  for (const auto& [step, path] : step_checkpoints(checkpoints_)) {
    if (step > resumed_step) later.push_back(path);
  }
  if (later.empty()) return;
  const std::string name = abandoned_folder(checkpoints_);
  for (const std::string& path : later) move_into(path, checkpoints_ + "/" + name);
  if (best_checkpoint_step(checkpoints_) > resumed_step) {
    for (const char* f : {"/best.pt", "/best.json"}) {
      if (path_exists(checkpoints_ + f)) move_into(checkpoints_ + f, checkpoints_ + "/" + name);
    }
  }
  int64_t samples = 0;
  for (const std::string& file : list_folder(samples_)) {
    long long step = -1;
    if (std::sscanf(file.c_str(), "step_%lld.", &step) == 1 && step > resumed_step) {
      move_into(samples_ + "/" + file, samples_ + "/" + name);
      ++samples;
    }
  }
  // latest.pt names the newest file of the history that goes on, or nothing until the next save.
  const std::string resumed = checkpoint_name(resumed_step);
  if (path_exists(checkpoints_ + "/" + resumed)) {
    replace_symlink(checkpoints_ + "/latest.pt", resumed);
  } else {
    std::remove((checkpoints_ + "/latest.pt").c_str());
  }
  spdlog::warn(
      "resuming at step {}, before the newest checkpoint: its {} later checkpoint(s) and {} sample file(s) moved to "
      "{}/{} (nothing deleted), so this folder keeps one history",
      resumed_step, later.size(), samples, checkpoints_, name);
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
  prune_checkpoints(checkpoints_, config_.train.keep_last, path);
  return path;
}

}  // namespace gen
