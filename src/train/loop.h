// The training loop: a resolved config in, a run folder out
// (config.yaml, train.log, metrics.jsonl, samples/, checkpoints/).
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "util/errors.h"

namespace gen {

struct TrainOptions {
  std::string resume;   // "" = fresh run, "auto" = newest checkpoint of the run folder if any, else a path
  bool force = false;   // resume even when architecture or data keys changed
  int64_t stop_at = 0;  // > 0: stop (with a checkpoint) at this step; the schedule still spans train.steps
  // The command that started the run, overrides included, for the "continue with" hints
  // (a run named by --set name=... resumes only with that override); "" = gen train CONFIG.
  std::string command;
};

struct TrainResult {
  int64_t step = 0;            // last step trained
  bool interrupted = false;    // stopped early by SIGINT/SIGTERM (a checkpoint was written)
  bool stopped_early = false;  // reached TrainOptions::stop_at before train.steps
  int64_t failed_outputs = 0;  // sample grids and evaluations that failed (training went on)
  std::string checkpoint;      // newest checkpoint written

  // kInterrupted / kTerminated after a signal, else kSideOutput when an output failed, else kOk.
  ExitCode exit_code() const;
};

// `config` must have its model options resolved (resolve_model_options).
TrainResult train(const Config& config, const TrainOptions& options);

}  // namespace gen
