// Each subcommand: setup_<verb>(app) adds it to the CLI11 app with an options struct and a
// callback that runs it. Callbacks throw gen errors; apps/gen/main.cpp maps them to exit codes.
#pragma once

namespace CLI {
class App;
}

namespace gen {

void setup_train(CLI::App& app);
void setup_sample(CLI::App& app);
void setup_config(CLI::App& app);

}  // namespace gen
