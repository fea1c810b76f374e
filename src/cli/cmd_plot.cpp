// gen plot RUN [RUN...] [--out F.png] [--keys K,...]
// Draws the figures of one or more runs' metrics.jsonl as line charts, one panel per family of
// figures (or per key with --keys), the runs' curves over each other for comparison.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <set>

#include "cli/commands.h"
#include "cli/output_paths.h"
#include "io/curve_plot.h"
#include "io/image_file.h"
#include "util/errors.h"
#include "util/fs.h"

namespace gen {

namespace {
struct PlotCommand {
  std::vector<std::string> runs;
  std::string out = "curves.png";
  std::vector<std::string> keys;
};

void run_plot(const PlotCommand& cmd) {
  if (image_encoding(cmd.out).empty()) throw UsageError("--out " + cmd.out + ": name the image .png or .jpg");
  std::vector<std::string> inputs;
  for (const std::string& run : cmd.runs) inputs.push_back(is_directory(run) ? run + "/metrics.jsonl" : run);
  check_outputs({{"--out", cmd.out}}, inputs);
  std::vector<std::pair<std::string, Curves>> runs;
  for (const std::string& run : cmd.runs) {
    const bool folder = is_directory(run);
    const std::string file = folder ? run + "/metrics.jsonl" : run;
    if (!target_exists(file)) {
      throw UsageError(run + ": " + (folder ? "no metrics.jsonl in it (not a run folder, or it has not logged yet)"
                                            : "no such run folder or metrics file"));
    }
    runs.emplace_back(base_name(folder ? run : parent_dir(file)), read_curves(file));
    if (runs.back().second.empty()) {
      throw UsageError(run + ": " + file + " holds no figures yet (the run has not logged a step): nothing to draw");
    }
  }
  std::set<std::string> known;
  for (const auto& [name, curves] : runs) {
    for (const auto& [key, points] : curves) known.insert(key);
  }
  for (const std::string& key : cmd.keys) {
    if (known.count(key) == 0) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      throw UsageError("--keys " + key + ": no run logged it; logged: " + list);
    }
  }
  const std::vector<Panel> panels = curve_panels(runs, cmd.keys);
  write_image(cmd.out, draw_panels(panels));
  spdlog::info("wrote {} ({} panels, {} run(s))", cmd.out, panels.size(), runs.size());
}
}  // namespace

void setup_plot(CLI::App& app) {
  auto cmd = std::make_shared<PlotCommand>();
  CLI::App* sub = app.add_subcommand("plot", "Draw the logged figures of one or more runs as line charts (PNG)");
  sub->add_option("runs", cmd->runs, "run folders (or their metrics.jsonl files); several are drawn over each other")
      ->required();
  sub->add_option("--out", cmd->out, "output image, .png or .jpg (default curves.png)");
  sub->add_option("--keys", cmd->keys, "only these figures, one panel each (e.g. --keys loss_d,val_loss)")
      ->delimiter(',')
      ->expected(1)  // one value per --keys (comma-separated): `--keys K RUN` leaves RUN a run
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub->callback([cmd] { run_plot(*cmd); });
}

}  // namespace gen
