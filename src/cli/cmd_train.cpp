// gen train CONFIG [--set k=v ...] [--resume auto|PATH] [--force]
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/experiment.h"
#include "dist/launch_env.h"
#include "dist/local_launcher.h"
#include "train/loop.h"
#include "util/device.h"
#include "util/errors.h"
#include "util/interrupt.h"
#include "util/threads.h"

namespace gen {

namespace {
// Quoted for a POSIX shell when it holds anything beyond plain word characters.
std::string shell_word(const std::string& s) {
  const bool plain = !s.empty() && s.find_first_not_of(
                                       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789_./=:,+-@%") == std::string::npos;
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct TrainCommand {
  std::string config_file;
  std::vector<std::string> overrides;
  TrainOptions options;
  int64_t nproc_per_node = 1;
  int64_t max_restarts = 0;

  // The arguments each rank of --nproc-per-node gets: this command without the launcher's flags.
  std::vector<std::string> rank_args(bool restart) const {
    std::vector<std::string> args{"train", config_file};
    for (const auto& o : overrides) args.insert(args.end(), {"--set", o});
    if (restart) {
      args.insert(args.end(), {"--resume", "auto"});
    } else if (!options.resume.empty()) {
      args.insert(args.end(), {"--resume", options.resume});
    }
    if (options.force) args.push_back("--force");
    if (options.stop_at > 0) args.insert(args.end(), {"--stop-at", std::to_string(options.stop_at)});
    return args;
  }
};
// The "continue with" hint of a run: the same gen train command, launched as this rank was.
// Another launcher's command line is not known here: the hint names it and leaves its flags.
std::string continue_command(const LaunchEnv& env, const std::string& train_command) {
  if (!env.distributed()) return train_command;
  if (env.launcher == "--nproc-per-node") {
    return train_command + " --nproc-per-node " + std::to_string(env.local_world_size);
  }
  return (env.launcher == "slurm" ? "srun ... " : "torchrun ... ") + train_command;
}

// What the launcher checks once, before it starts a rank: ranks the machine can run (one CPU
// each on the CPU, one GPU each on CUDA) and a global batch that splits among them; the
// thread counts a config sets explicitly, against the CPUs this process may use.
void check_machine_fits(const Config& config, int64_t nproc) {
  const int64_t cpus = available_cpus();
  if (nproc > 1) {
    const torch::Device device = choose_device(config.device);
    const int64_t most = device.is_cuda() ? int64_t(torch::cuda::device_count()) : cpus;
    if (nproc > most) {
      throw UsageError(fmt::format("--nproc-per-node {}: this machine runs at most {} rank(s) on {} ({} {}); "
                                   "start at most that many",
                                   nproc, most, device.is_cuda() ? "CUDA" : "the CPU", most,
                                   device.is_cuda() ? "GPUs, one per rank" : "CPUs this process may use, one per rank"));
    }
    if (config.data.batch_size % nproc != 0) {
      throw ConfigError(fmt::format("data.batch_size {} (the global batch) must split into {} ranks",
                                    config.data.batch_size, nproc));
    }
  }
  // A hand-set count is the user's call up to kThreadsPerCpu per CPU (oversubscribing is a
  // legitimate experiment, and resume tests use counts auto never picks); far beyond, threads
  // only wait for each other (issue #31: 1024 on 2 CPUs, many times slower) and can deadlock the pool
  // under a memory limit.
  constexpr int64_t kThreadsPerCpu = 4;
  for (const auto& [key, value] : {std::pair{"runtime.threads", config.runtime.threads},
                                   std::pair{"runtime.blas_threads", config.runtime.blas_threads}}) {
    if (value && *value > kThreadsPerCpu * cpus) {
      throw ConfigError(fmt::format("{} {}: more than {} threads per CPU, and this process may use {} CPU(s); set "
                                    "at most {} (auto picks for you)",
                                    key, *value, kThreadsPerCpu, cpus, kThreadsPerCpu * cpus));
    }
  }
}

}  // namespace

void setup_train(CLI::App& app, ExitCode& status) {
  auto cmd = std::make_shared<TrainCommand>();
  CLI::App* sub = app.add_subcommand("train", "Train a model from a YAML experiment file");
  sub->add_option("config", cmd->config_file, "experiment YAML (see configs/)")->required();
  sub->add_option("--set", cmd->overrides, "override a config key, e.g. --set train.steps=100 (repeatable)")
      ->type_name("KEY=VALUE");
  sub->add_option("--resume", cmd->options.resume,
                  "continue from a checkpoint: 'auto' (newest in the run folder, or start fresh) or a path");
  sub->add_flag("--force", cmd->options.force, "resume even if model or data keys changed");
  sub->add_option(
         "--stop-at", cmd->options.stop_at,
         "stop with a checkpoint at this step, keeping the lr schedule of train.steps (continue with --resume auto)")
      ->check(CLI::Range(int64_t(1), kMaxSteps));
  sub->add_option("--nproc-per-node", cmd->nproc_per_node,
                  "start this many data-parallel ranks on this machine (as torchrun would), forward Ctrl-C and "
                  "SIGTERM to them, and stop all of them when one fails")
      ->check(CLI::Range(int64_t(1), int64_t(1024)));
  sub->add_option("--max-restarts", cmd->max_restarts,
                  "with --nproc-per-node: after a rank fails, restart every rank from the newest checkpoint up to "
                  "this many times")
      ->check(CLI::Range(int64_t(0), int64_t(1000)));
  sub->callback([cmd, sub, &status] {
    const Config config = load_resolved_config(cmd->config_file, cmd->overrides);
    if (sub->get_option("--max-restarts")->count() > 0 && cmd->nproc_per_node < 2) {
      throw UsageError("--max-restarts: restarts the ranks of --nproc-per-node N (N >= 2); a launcher such as "
                       "torchrun has its own --max-restarts");
    }
    check_machine_fits(config, cmd->nproc_per_node);
    if (cmd->nproc_per_node > 1) {
      if (read_launch_env().distributed()) {
        throw UsageError("--nproc-per-node: this gen is already a rank of a launched job (RANK/WORLD_SIZE are set)");
      }
      LocalLaunch launch;
      launch.nproc = cmd->nproc_per_node;
      launch.max_restarts = cmd->max_restarts;
      launch.args = cmd->rank_args(false);
      launch.restart_args = cmd->rank_args(true);
      status = static_cast<ExitCode>(run_local_ranks(launch));
      return;
    }
    install_interrupt_handlers();
    TrainOptions options = cmd->options;
    // torchrun --max-restarts starts a failed job again with the same command: a restart
    // continues from the newest checkpoint, as --nproc-per-node's restarts do.
    const LaunchEnv env = read_launch_env();
    if (env.restart_count > 0 && options.resume.empty()) {
      spdlog::info("{} restart {}: continuing from the newest checkpoint (--resume auto)", env.launcher,
                   env.restart_count);
      options.resume = "auto";
    }
    std::string command = "gen train " + shell_word(cmd->config_file);
    for (const std::string& o : cmd->overrides) command += " --set " + shell_word(o);
    options.command = continue_command(env, command);
    status = train(config, options).exit_code();
  });
}

}  // namespace gen
