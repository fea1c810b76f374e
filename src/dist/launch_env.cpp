#include "dist/launch_env.h"

#include <cerrno>
#include <cstdlib>

#include "util/errors.h"

namespace gen {

namespace {

int64_t integer(const GetEnv& env, const std::string& name, int64_t min, int64_t max) {
  const auto text = env(name);
  if (!text) throw UsageError(name + " is not set (needed for a data-parallel launch)");
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || errno != 0 || v < min || v > max) {
    throw UsageError(name + "='" + *text + "': expected an integer from " + std::to_string(min) + " to " +
                     std::to_string(max));
  }
  return v;
}

int64_t integer_or(const GetEnv& env, const std::string& name, int64_t min, int64_t max, int64_t fallback) {
  return env(name) ? integer(env, name, min, max) : fallback;
}

}  // namespace

std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v ? std::optional<std::string>(v) : std::nullopt;
}

LaunchEnv read_launch_env(const GetEnv& env) {
  LaunchEnv e;
  constexpr int64_t kMaxRanks = 1 << 20;
  if (env("WORLD_SIZE") || env("RANK")) {
    e.launcher = env("GEN_NPROC_PER_NODE") ? "--nproc-per-node" : "torchrun";
    e.world_size = integer(env, "WORLD_SIZE", 1, kMaxRanks);
    e.rank = integer(env, "RANK", 0, e.world_size - 1);
    e.local_rank = integer_or(env, "LOCAL_RANK", 0, e.world_size - 1, 0);
    e.local_world_size = integer_or(env, "LOCAL_WORLD_SIZE", 1, e.world_size, 1);
  } else if (env("SLURM_PROCID") && env("SLURM_NTASKS")) {
    e.launcher = "slurm";
    e.world_size = integer(env, "SLURM_NTASKS", 1, kMaxRanks);
    e.rank = integer(env, "SLURM_PROCID", 0, e.world_size - 1);
    e.local_rank = integer_or(env, "SLURM_LOCALID", 0, e.world_size - 1, 0);
  }
  // torchrun with one process sets MASTER_ADDR too; other one-process launches need nothing more.
  const bool lone_torchrun = e.launcher == "torchrun" && !e.distributed() && env("MASTER_ADDR");
  if (!e.distributed() && !lone_torchrun) return e;
  const auto addr = env("MASTER_ADDR");
  if (!addr || addr->empty()) throw UsageError("MASTER_ADDR is not set (needed for a data-parallel launch)");
  e.master_addr = *addr;
  e.master_port = integer(env, "MASTER_PORT", 1, 65535);
  const auto agent = env("TORCHELASTIC_USE_AGENT_STORE");
  e.agent_store = agent && (*agent == "True" || *agent == "true" || *agent == "1");
  e.restart_count = integer_or(env, "TORCHELASTIC_RESTART_COUNT", 0, 1 << 30, 0);
  if (e.agent_store) e.store_prefix = "/worker/attempt_" + std::to_string(e.restart_count);
  return e;
}

}  // namespace gen
