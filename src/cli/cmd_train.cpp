// gen train CONFIG [--set k=v ...] [--resume auto|PATH] [--force]
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/experiment.h"
#include "train/loop.h"
#include "util/interrupt.h"

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
};
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
  sub->callback([cmd, &status] {
    const Config config = load_resolved_config(cmd->config_file, cmd->overrides);
    install_interrupt_handlers();
    TrainOptions options = cmd->options;
    options.command = "gen train " + shell_word(cmd->config_file);
    for (const std::string& o : cmd->overrides) options.command += " --set " + shell_word(o);
    status = train(config, options).exit_code();
  });
}

}  // namespace gen
