#include "eval/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace gen {

namespace {
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string json_number(double v) { return std::isfinite(v) ? fmt::format("{:.10g}", v) : "null"; }
}  // namespace

std::string report_table(const EvalReport& report) {
  size_t width = 0;
  for (const auto& [k, v] : report.info) width = std::max(width, k.size());
  for (const auto& f : report.figures) width = std::max(width, f.name.size());
  std::string out;
  for (const auto& [k, v] : report.info) out += fmt::format("{:<{}}  {}\n", k, width, v);
  out += "\n";
  for (const auto& f : report.figures) out += fmt::format("{:<{}}  {:>12.6g}  {}\n", f.name, width, f.value, f.meaning);
  return out;
}

std::string report_json(const EvalReport& report) {
  std::string out = "{\n  \"info\": {";
  for (size_t i = 0; i < report.info.size(); ++i) {
    out += (i ? ",\n    " : "\n    ") + json_string(report.info[i].first) + ": " + json_string(report.info[i].second);
  }
  out += "\n  },\n  \"figures\": {";
  for (size_t i = 0; i < report.figures.size(); ++i) {
    out +=
        (i ? ",\n    " : "\n    ") + json_string(report.figures[i].name) + ": " + json_number(report.figures[i].value);
  }
  out += "\n  },\n  \"meaning\": {";
  for (size_t i = 0; i < report.figures.size(); ++i) {
    out += (i ? ",\n    " : "\n    ") + json_string(report.figures[i].name) + ": " +
           json_string(report.figures[i].meaning);
  }
  return out + "\n  }\n}\n";
}

}  // namespace gen
