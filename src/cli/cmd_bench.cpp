// gen bench CONFIG... [--set k=v ...] [--steps N] [--warmup W] [--profile P] [--json F]: training-step
// time, throughput, model FLOPs and the fraction of the hardware's roof, one line per config; with
// --profile, a table of where the step's time goes.
#include <CLI/CLI.hpp>
#include <ostream>

#include "cli/commands.h"
#include "cli/experiment.h"
#include "cli/output_paths.h"
#include "train/bench.h"
#include "util/fs.h"

namespace gen {

namespace {
struct BenchCommand {
  std::vector<std::string> config_files;
  std::vector<std::string> overrides;
  BenchOptions options;
  std::string json;
};
}  // namespace

void setup_bench(CLI::App& app, std::ostream& out) {
  auto cmd = std::make_shared<BenchCommand>();
  CLI::App* sub = app.add_subcommand(
      "bench",
      "Time training steps of each config after a warm-up (nothing written to a run folder) and print ms/step, "
      "throughput, model FLOPs per step, achieved FLOP/s and, on the CPU, MFU against a measured sgemm roof");
  sub->add_option("config", cmd->config_files, "experiment YAML (several: one line each)")->required();
  sub->add_option("--set", cmd->overrides, "override a config key, for every config (repeatable)")
      ->type_name("KEY=VALUE");
  sub->add_option("--steps", cmd->options.steps, "timed steps")->check(CLI::Range(int64_t(1), int64_t(1'000'000)));
  sub->add_option("--warmup", cmd->options.warmup, "untimed steps first (the first one's FLOPs are counted)")
      ->check(CLI::Range(int64_t(1), int64_t(1'000'000)));
  sub->add_option("--profile", cmd->options.profile,
                  "after the timed steps, run P more with every op timed and print where a step's time goes: "
                  "forward, backward, no-grad (the update) and outside ops, then the ops by self time (host time: "
                  "on a GPU, launch time)")
      ->check(CLI::Range(int64_t(1), int64_t(1'000'000)));
  sub->add_option("--json", cmd->json, "also write the figures of every config to this file, as a JSON array");
  sub->callback([cmd, &out] {
    if (!cmd->json.empty()) check_outputs({{"--json", cmd->json}}, cmd->config_files);
    std::vector<Config> configs;  // every config checked before the first is timed
    for (const auto& file : cmd->config_files) configs.push_back(load_resolved_config(file, cmd->overrides));
    std::string json = "[\n";
    for (size_t i = 0; i < configs.size(); ++i) {
      const BenchResult r = bench(configs[i], cmd->options);
      out << bench_line(r) << "\n" << profile_table(r) << std::flush;
      json += (i ? ",\n" : "") + report_json(bench_report(r));
    }
    if (!cmd->json.empty()) write_file_atomic(cmd->json, json + "]\n");
  });
}

}  // namespace gen
