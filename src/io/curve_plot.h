// Line charts of training figures drawn with OpenCV: curves.png in a run folder and `gen plot`.
// One panel per family of figures (losses, D outputs, learning rate, evaluation, throughput),
// each with axes, ticks and tick labels, a legend, and a log-scale y axis when its values are
// all positive and span more than two decades.
#pragma once

#include <map>
#include <opencv2/core.hpp>
#include <string>
#include <utility>
#include <vector>

namespace gen {

struct Series {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (step, value), finite values only
};

struct Panel {
  std::string title;
  std::vector<Series> series;
};

// Figures by name, as (step, value) in file order: non-finite values (null) are left out.
using Curves = std::map<std::string, std::vector<std::pair<double, double>>>;

// Reads a metrics.jsonl; throws IoError naming the file and line of a malformed line.
Curves read_curves(const std::string& metrics_jsonl);

// The family a figure belongs to: "losses", "D outputs", "learning rate", "evaluation",
// "throughput" or "guard".
std::string curve_family(const std::string& name);

// The panels for one or more runs: per family, one series per (run, figure); `runs` are
// (label, curves) and a label is prefixed to the figure's only when there are several runs.
// `keys` non-empty: only these figures, one panel each.
std::vector<Panel> curve_panels(const std::vector<std::pair<std::string, Curves>>& runs,
                                const std::vector<std::string>& keys = {});

// Panels side by side, two per row, each width x height pixels (BGR).
cv::Mat draw_panels(const std::vector<Panel>& panels, int width = 560, int height = 340);

// Tick positions covering [lo, hi]: about `count` round numbers (1, 2 or 5 times a power of ten).
std::vector<double> nice_ticks(double lo, double hi, int count = 5);

// Whether a panel's values call for a log-scale y axis: all positive, max / min > 100.
bool wants_log_scale(const Panel& panel);

}  // namespace gen
