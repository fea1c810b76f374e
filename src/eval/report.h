// What `gen eval` (and the trainer's evaluation) found: named figures with a line of meaning
// each, plus facts about how they were measured; printed as a table and written as JSON.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/metrics.h"

namespace gen {

struct Figure {
  std::string name;  // e.g. fid_mnist_cnn
  double value = 0;
  std::string meaning;
  Better better = Better::kLower;
};

struct EvalReport {
  std::vector<std::pair<std::string, std::string>> info;  // checkpoint, step, feature net, n, ...
  std::vector<Figure> figures;

  void add(std::string name, double value, std::string meaning, Better better = Better::kLower) {
    figures.push_back({std::move(name), value, std::move(meaning), better});
  }
};

std::string report_table(const EvalReport& report);
// {"info": {...}, "figures": {"name": value, ...}, "meaning": {"name": "...", ...}}; non-finite values are null.
std::string report_json(const EvalReport& report);

}  // namespace gen
