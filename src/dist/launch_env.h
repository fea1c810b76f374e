// Which rank of which data-parallel job this process is, from the environment its launcher set:
// torchrun (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT; with
// TORCHELASTIC_USE_AGENT_STORE=True the store is the agent's, under the key prefix
// /worker/attempt_<TORCHELASTIC_RESTART_COUNT>), SLURM's srun (SLURM_PROCID, SLURM_NTASKS,
// SLURM_LOCALID, with MASTER_ADDR/MASTER_PORT from the job script), or neither: one process.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace gen {

struct LaunchEnv {
  // "torchrun" (or any RANK/WORLD_SIZE launcher), "--nproc-per-node" (gen's own, which marks its
  // ranks with GEN_NPROC_PER_NODE), "slurm", "none"
  std::string launcher = "none";
  int64_t rank = 0, world_size = 1, local_rank = 0;
  // Ranks of this job on this machine that share its CPUs: torchrun's (and --nproc-per-node's)
  // LOCAL_WORLD_SIZE. 1 under srun, which gives each task its own CPUs (--cpus-per-task).
  int64_t local_world_size = 1;
  std::string master_addr;
  int64_t master_port = 0;
  bool agent_store = false;  // connect to torchrun's store (it runs the server), under store_prefix
  std::string store_prefix;
  // Which start of the job this is: torchrun's TORCHELASTIC_RESTART_COUNT (0 for the first;
  // after a failure torchrun --max-restarts starts every rank again with the same arguments).
  int64_t restart_count = 0;

  bool distributed() const { return world_size > 1; }
  // Whether this process joins a c10d group: every rank of a job of 2 or more, and the one rank
  // torchrun starts with --nproc-per-node 1 (MASTER_ADDR set: a world of one through c10d, as
  // DDP runs it, so its cost shows). A lone srun task, or no launcher, runs as one process.
  bool joins_c10d() const { return world_size > 1 || (launcher == "torchrun" && !master_addr.empty()); }
};

using GetEnv = std::function<std::optional<std::string>(const std::string&)>;

// The process environment, through std::getenv.
std::optional<std::string> process_env(const std::string& name);

// Reads the launcher's variables; throws UsageError naming the variable for a missing or
// malformed one (e.g. WORLD_SIZE=2 without MASTER_ADDR).
LaunchEnv read_launch_env(const GetEnv& env = process_env);

}  // namespace gen
