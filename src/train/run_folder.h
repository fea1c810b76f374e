// One training run's folder, out_dir/name: config.yaml, train.log, metrics.jsonl, samples/,
// checkpoints/ (step_NNNNNNN.pt, latest.pt pointing at the newest, best.pt/best.json with
// train.keep_best). It decides where a run continues from, creates the folder and logs into
// it until destroyed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/data_spec.h"
#include "util/folder_lock.h"

namespace gen {

class GenerativeModel;

class RunFolder {
 public:
  explicit RunFolder(const Config& config);
  ~RunFolder();  // stops logging to train.log
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;

  // Creates the run folder if needed and takes its lock (util/folder_lock.h): one writer per run
  // folder. Throws UsageError naming the holder when another gen is writing it. When start-up
  // fails after this, the destructor removes a folder this run created and left empty.
  void lock();

  // The checkpoint a run continues from: `resume` is "" (a fresh run: UsageError when the
  // folder already holds checkpoints), "auto" (the newest intact one, passing over damaged
  // newer ones with a warning; "" when there is none) or a path.
  std::string resume_path(const std::string& resume) const;

  // Creates the folders, logs into train.log, removes temp files of checkpoint writes a killed
  // run left, and writes the resolved config.yaml. `resumed_step` >= 0: the run continues from
  // that step, and what the folder holds of later steps (checkpoints, best.pt, samples) is moved
  // to checkpoints/abandoned-<time>/ and samples/abandoned-<time>/, so it keeps one history.
  void open(int64_t resumed_step);

  const std::string& dir() const { return dir_; }
  const std::string& checkpoints() const { return checkpoints_; }
  const std::string& samples() const { return samples_; }
  std::string metrics_file() const { return dir_ + "/metrics.jsonl"; }
  // samples/step_NNNNNNN.EXT
  std::string sample_file(int64_t step, const char* ext) const;
  // The newest complete step checkpoint, or "".
  std::string latest_checkpoint() const;

  // checkpoints/step_NNNNNNN.pt, then latest.pt pointed at it and all but the newest
  // train.keep_last step checkpoints pruned (never the one just written). Returns its path;
  // throws CheckpointError (the previous one intact).
  std::string save_checkpoint(int64_t step, const DataSpec& data, GenerativeModel& model, double lr_scale);

 private:
  void set_aside_later_history(int64_t resumed_step);
  // A fresh start in a folder holding the log or samples of a run that wrote no checkpoint:
  // those files move to DIR/abandoned-<time>/. Returns that folder, or "" when nothing moved.
  std::string set_aside_earlier_history();

  const Config& config_;
  std::string dir_, checkpoints_, samples_;
  std::unique_ptr<FolderLock> lock_;
  bool created_ = false;  // lock() made the folder
  bool opened_ = false;
  bool logging_ = false;
};

}  // namespace gen
