// gen config show|check|keys: inspect a config without training.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <ostream>

#include "cli/commands.h"
#include "cli/experiment.h"
#include "data/data_registry.h"
#include "data/data_source.h"
#include "models/generative_model.h"
#include "models/registry.h"
#include "util/device.h"

namespace gen {

namespace {
struct ConfigCommand {
  std::string file;
  std::vector<std::string> overrides;
  bool comments = false;
};

void run_check(const ConfigCommand& cmd, std::ostream& print) {
  const Config config = load_resolved_config(cmd.file, cmd.overrides);
  const torch::Device device = choose_device(config.device);
  const auto data = open_data_source(config, device);
  auto model = build_model(config, data->spec(), device);
  std::string counts;
  for (const auto& [name, n] : model->parameter_counts()) counts += " " + name + "=" + std::to_string(n);
  print << cmd.file << ": ok: " << config.model.kind << " (" << counts.substr(1) << ") on " << data->describe() << "\n";
}

void run_keys(std::ostream& print) {
  std::string out;
  for (const auto& line : config_key_lines()) out += line + "\n";
  for (const std::string& name : enum_names<DataKind>()) {
    const std::vector<std::string> lines = data_kind_info(*enum_from_name<DataKind>(name)).key_lines();
    if (lines.empty()) continue;
    out += "\n# data.kind: " + name + "\n";
    for (const auto& line : lines) out += line + "\n";
  }
  register_builtin_models();
  for (const auto& name : model_kind_names()) {
    Config c;
    c.model.kind = name;
    const ModelKind& kind = find_model_kind(c);
    out += "\n# model.kind: " + name + " -- " + kind.summary + "\n";
    for (const auto& line : kind.key_lines()) out += line + "\n";
  }
  print << out;
}
}  // namespace

void setup_config(CLI::App& app, std::ostream& out) {
  auto cmd = std::make_shared<ConfigCommand>();
  CLI::App* sub = app.add_subcommand("config", "Inspect experiment configs");
  sub->require_subcommand(1);

  CLI::App* show = sub->add_subcommand("show", "Print the resolved config (defaults filled in, --set applied)");
  show->add_option("config", cmd->file, "experiment YAML")->required();
  show->add_option("--set", cmd->overrides, "override a config key (repeatable)")->type_name("KEY=VALUE");
  show->add_flag("--comments", cmd->comments, "annotate every key with its help text");
  show->callback(
      [cmd, &out] { out << config_to_yaml(load_resolved_config(cmd->file, cmd->overrides), cmd->comments); });

  CLI::App* check =
      sub->add_subcommand("check", "Validate a config, load its data and build its model, without training");
  check->add_option("config", cmd->file, "experiment YAML")->required();
  check->add_option("--set", cmd->overrides, "override a config key (repeatable)")->type_name("KEY=VALUE");
  check->callback([cmd, &out] { run_check(*cmd, out); });

  CLI::App* keys = sub->add_subcommand("keys", "List every config key with its default and meaning");
  keys->callback([&out] { run_keys(out); });
}

}  // namespace gen
