// gen train --nproc-per-node N: a launcher for users without torchrun. It starts N ranks of
// this same gen on this machine with the variables torchrun sets (RANK, WORLD_SIZE,
// LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1, a free MASTER_PORT), forwards SIGINT
// and SIGTERM to them, and when one rank fails stops the others (SIGTERM, then SIGKILL after
// a grace period) and ends with that rank's exit code, or restarts all of them from the
// newest checkpoint (--resume auto) up to `max_restarts` times.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gen {

struct LocalLaunch {
  int64_t nproc = 1;
  int64_t max_restarts = 0;
  std::vector<std::string> args;          // gen's arguments for every rank, "train" first
  std::vector<std::string> restart_args;  // the same for a restart (with --resume auto)
};

// Runs the job; returns its exit code (0, a failed rank's code, or 130/143 after a signal).
int run_local_ranks(const LocalLaunch& launch);

// A TCP port on 127.0.0.1 that nobody listens on right now (for a job's store).
int free_local_port();

}  // namespace gen
