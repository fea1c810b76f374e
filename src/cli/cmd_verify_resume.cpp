// gen verify-resume CONFIG [--set k=v ...] [--steps N] [--nproc N]: does stopping and resuming this config
// change the run? Exit 0 when N straight steps and N/2 + resume + N/2 agree bit for bit.
#include <CLI/CLI.hpp>
#include <ostream>

#include "cli/commands.h"
#include "cli/experiment.h"
#include "train/verify_resume.h"
#include "util/errors.h"

namespace gen {

namespace {
struct VerifyResumeCommand {
  std::string config_file;
  std::vector<std::string> overrides;
  int64_t steps = 20;
  int64_t nproc = 1;
};
}  // namespace

void setup_verify_resume(CLI::App& app, std::ostream& out) {
  auto cmd = std::make_shared<VerifyResumeCommand>();
  CLI::App* sub = app.add_subcommand(
      "verify-resume", "Check that stopping and resuming a config changes nothing (runs in a temporary folder)");
  sub->add_option("config", cmd->config_file, "experiment YAML")->required();
  sub->add_option("--set", cmd->overrides, "override a config key (repeatable)")->type_name("KEY=VALUE");
  sub->add_option("--steps", cmd->steps, "steps of the straight run (the other stops half way)")
      ->check(CLI::Range(int64_t(2), int64_t(1'000'000)));
  sub->add_option("--nproc", cmd->nproc, "run each training as this many data-parallel ranks (--nproc-per-node)")
      ->check(CLI::Range(int64_t(1), int64_t(1024)));
  sub->callback([cmd, &out] {
    const Config config = load_resolved_config(cmd->config_file, cmd->overrides);
    const ResumeCheck r = cmd->nproc > 1
                              ? verify_resume_ranks(config, cmd->config_file, cmd->overrides, cmd->steps, cmd->nproc)
                              : verify_resume(config, cmd->steps);
    out << "verify-resume " << cmd->config_file << ": " << r.steps_compared << " logged steps "
        << (r.losses_equal ? "identical" : "DIFFER") << ", final weights "
        << (r.samples_equal ? "identical (same seeded sample)" : "DIFFER (seeded samples differ)") << "\n";
    if (!r.first_difference.empty()) out << "first difference: " << r.first_difference << "\n";
    if (!r.ok()) throw Error("resuming " + cmd->config_file + " does not reproduce the straight run");
  });
}

}  // namespace gen
