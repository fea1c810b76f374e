// Each subcommand: setup_<verb>(app) adds it to the CLI11 app with an options struct and a
// callback that runs it. Callbacks throw gen errors; apps/gen/main.cpp maps them to exit codes.
#pragma once

#include <iosfwd>

#include "util/errors.h"

namespace CLI {
class App;
}

namespace gen {

// `out` receives what a command was asked to print (a config, sampled text); logs go to spdlog.
// `status` receives the exit code of a run that ended without an error but not cleanly
// (interrupted: 130/143, a failed side output: 8).
void setup_train(CLI::App& app, ExitCode& status);
void setup_sample(CLI::App& app, std::ostream& out);
void setup_eval(CLI::App& app, std::ostream& out);
void setup_config(CLI::App& app, std::ostream& out);
void setup_verify_resume(CLI::App& app, std::ostream& out);
void setup_bench(CLI::App& app, std::ostream& out);
void setup_export(CLI::App& app);
void setup_plot(CLI::App& app);
void setup_tokenizer(CLI::App& app);
void setup_tokenize(CLI::App& app);

}  // namespace gen
