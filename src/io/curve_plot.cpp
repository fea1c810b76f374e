#include "io/curve_plot.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "io/metrics_log.h"
#include "util/errors.h"

namespace gen {

namespace {

const std::vector<cv::Scalar> kPalette{  // matplotlib's tab10, BGR
    {180, 119, 31}, {14, 127, 255}, {44, 160, 44}, {40, 39, 214},   {189, 103, 148},
    {75, 86, 140},  {194, 119, 227}, {127, 127, 127}, {34, 189, 188}, {207, 190, 23}};

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr double kTickScale = 0.38, kTitleScale = 0.5;

std::string tick_label(double v, bool log_axis) {
  char buf[32];
  if (log_axis) {
    std::snprintf(buf, sizeof buf, "1e%d", static_cast<int>(std::lround(v)));
  } else {
    std::snprintf(buf, sizeof buf, "%.3g", v);  // 0.0004, 0.00038, 3.6e-05, 1e+05
  }
  return buf;
}

int text_width(const std::string& s, double scale) {
  int baseline = 0;
  return cv::getTextSize(s, kFont, scale, 1, &baseline).width;
}

void draw_panel(cv::Mat& canvas, const Panel& panel) {
  canvas.setTo(cv::Scalar::all(255));
  const bool log_y = wants_log_scale(panel);
  const auto y_of = [log_y](double v) { return log_y ? std::log10(v) : v; };
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const Series& s : panel.series) {
    for (const auto& [x, y] : s.points) {
      x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y_of(y)), y1 = std::max(y1, y_of(y));
    }
  }
  const int left = 62, right = 14, top = 28, bottom = 40;
  const int w = canvas.cols - left - right, h = canvas.rows - top - bottom;
  cv::putText(canvas, panel.title, cv::Point(left, 18), kFont, kTitleScale, cv::Scalar::all(0), 1, cv::LINE_AA);
  cv::rectangle(canvas, cv::Rect(left, top, w, h), cv::Scalar::all(0), 1);
  if (!std::isfinite(x0)) {
    cv::putText(canvas, "no values yet", cv::Point(left + 10, top + h / 2), kFont, kTickScale, cv::Scalar::all(90));
    return;
  }
  if (x1 == x0) x0 -= 1, x1 += 1;
  if (y1 == y0) {
    const double pad = log_y ? 0.5 : std::max(1e-12, std::fabs(y0) * 0.1 + 1e-12);
    y0 -= pad, y1 += pad;
  } else {
    const double pad = 0.05 * (y1 - y0);
    y0 -= pad, y1 += pad;
  }
  const auto px = [&](double x) { return left + static_cast<int>(std::lround((x - x0) / (x1 - x0) * w)); };
  const auto py = [&](double y) { return top + h - static_cast<int>(std::lround((y - y0) / (y1 - y0) * h)); };
  // Ticks, labels and light grid lines.
  for (double t : nice_ticks(x0, x1)) {
    const int x = px(t);
    if (x < left || x > left + w) continue;
    cv::line(canvas, cv::Point(x, top), cv::Point(x, top + h), cv::Scalar::all(235), 1);
    cv::line(canvas, cv::Point(x, top + h), cv::Point(x, top + h + 4), cv::Scalar::all(0), 1);
    const std::string label = tick_label(t, false);
    cv::putText(canvas, label, cv::Point(x - text_width(label, kTickScale) / 2, top + h + 17), kFont, kTickScale,
                cv::Scalar::all(0), 1, cv::LINE_AA);
  }
  cv::putText(canvas, "step", cv::Point(left + w / 2 - 12, top + h + 34), kFont, kTickScale, cv::Scalar::all(0), 1,
              cv::LINE_AA);
  std::vector<double> yticks;
  if (log_y) {
    for (double d = std::ceil(y0); d <= std::floor(y1); d += 1) yticks.push_back(d);
    if (yticks.size() < 2) yticks = nice_ticks(y0, y1);
  } else {
    yticks = nice_ticks(y0, y1);
  }
  const bool log_labels = log_y && std::all_of(yticks.begin(), yticks.end(), [](double t) { return t == std::round(t); });
  for (double t : yticks) {
    const int y = py(t);
    if (y < top || y > top + h) continue;
    cv::line(canvas, cv::Point(left, y), cv::Point(left + w, y), cv::Scalar::all(235), 1);
    cv::line(canvas, cv::Point(left - 4, y), cv::Point(left, y), cv::Scalar::all(0), 1);
    const std::string label = log_labels ? tick_label(t, true) : tick_label(log_y ? std::pow(10.0, t) : t, false);
    cv::putText(canvas, label, cv::Point(left - 7 - text_width(label, kTickScale), y + 4), kFont, kTickScale,
                cv::Scalar::all(0), 1, cv::LINE_AA);
  }
  if (log_y) {
    cv::putText(canvas, "log scale", cv::Point(left + w - 62, 18), kFont, kTickScale, cv::Scalar::all(90), 1,
                cv::LINE_AA);
  }
  cv::rectangle(canvas, cv::Rect(left, top, w, h), cv::Scalar::all(0), 1);
  // Curves, then the legend over them.
  cv::Mat plot = canvas(cv::Rect(left + 1, top + 1, w - 1, h - 1));
  for (size_t i = 0; i < panel.series.size(); ++i) {
    const cv::Scalar color = kPalette[i % kPalette.size()];
    std::vector<cv::Point> line;
    for (const auto& [x, y] : panel.series[i].points) line.emplace_back(px(x) - left - 1, py(y_of(y)) - top - 1);
    if (line.size() == 1) cv::circle(plot, line[0], 2, color, cv::FILLED, cv::LINE_AA);
    cv::polylines(plot, line, false, color, 1, cv::LINE_AA);
  }
  // The legend on a white box, so curves under it do not cross its text.
  int legend_w = 0, legend_rows = 0;
  for (const Series& series : panel.series) {
    if (top + 14 + 14 * legend_rows > top + h - 4) break;
    legend_w = std::max(legend_w, 31 + text_width(series.label, kTickScale));
    ++legend_rows;
  }
  if (legend_rows > 0) {
    const cv::Rect box(left + 4, top + 4, legend_w + 6, 14 * legend_rows + 4);
    cv::rectangle(canvas, box, cv::Scalar::all(255), cv::FILLED);
    cv::rectangle(canvas, box, cv::Scalar::all(210), 1);
  }
  for (size_t i = 0; i < panel.series.size(); ++i) {
    const int y = top + 14 + 14 * static_cast<int>(i);
    if (y > top + h - 4) break;
    const cv::Scalar color = kPalette[i % kPalette.size()];
    cv::line(canvas, cv::Point(left + 8, y - 4), cv::Point(left + 26, y - 4), color, 2);
    cv::putText(canvas, panel.series[i].label, cv::Point(left + 31, y), kFont, kTickScale, cv::Scalar::all(0), 1,
                cv::LINE_AA);
  }
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int count) {
  std::vector<double> out;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return out;
  const double raw = (hi - lo) / std::max(1, count);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  }
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    out.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  }
  return out;
}

bool wants_log_scale(const Panel& panel) {
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (const Series& s : panel.series) {
    for (const auto& [x, y] : s.points) {
      if (!(y > 0)) return false;
      lo = std::min(lo, y), hi = std::max(hi, y);
    }
  }
  return std::isfinite(lo) && hi / lo > 100;
}

Curves read_curves(const std::string& metrics_jsonl) {
  std::string torn;
  const std::vector<std::string> lines = read_metrics_lines(metrics_jsonl, torn);
  if (!torn.empty()) {
    spdlog::warn("{}: its last line is cut short (a crash while it was written); drawn without it", metrics_jsonl);
  }
  Curves curves;
  int number = 0;
  for (const std::string& line : lines) {
    ++number;
    if (line.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("step") || !j["step"].is_number()) {
      throw IoError(metrics_jsonl + ":" + std::to_string(number) + ": not a metrics line ({\"step\": N, ...})");
    }
    const double step = j["step"].get<double>();
    for (const auto& [key, value] : j.items()) {
      if (key != "step" && value.is_number() && std::isfinite(value.get<double>())) {
        curves[key].emplace_back(step, value.get<double>());
      }
    }
  }
  return curves;
}

std::string curve_family(const std::string& name) {
  if (name == "lr") return "learning rate";
  if (name == "steps_per_s" || name == "images_per_s" || name == "tokens_per_s") return "throughput";
  if (name == "d_real" || name == "d_fake") return "D outputs";
  if (name == "skipped_nonfinite" || name == "rollback_from" || name == "bad_steps" || name == "lr_scale") {
    return "guard";
  }
  for (const char* prefix : {"val_", "train_", "fid", "kid", "is_", "coverage", "iwae", "elbo"}) {
    if (name.rfind(prefix, 0) == 0) return "evaluation";
  }
  return "losses";
}

std::vector<Panel> curve_panels(const std::vector<std::pair<std::string, Curves>>& runs,
                                const std::vector<std::string>& keys) {
  static const std::vector<std::string> order{"losses", "D outputs", "evaluation", "learning rate", "throughput",
                                              "guard"};
  std::vector<Panel> panels;
  auto panel_named = [&panels](const std::string& title) -> Panel& {
    for (Panel& p : panels) {
      if (p.title == title) return p;
    }
    panels.push_back(Panel{title, {}});
    return panels.back();
  };
  if (!keys.empty()) {
    for (const std::string& key : keys) panel_named(key);
  } else {
    for (const std::string& family : order) {
      for (const auto& [run, curves] : runs) {
        for (const auto& [name, points] : curves) {
          if (curve_family(name) == family) panel_named(family);
        }
      }
    }
  }
  for (const auto& [run, curves] : runs) {
    for (const auto& [name, points] : curves) {
      const bool wanted = keys.empty() || std::find(keys.begin(), keys.end(), name) != keys.end();
      if (!wanted) continue;
      const std::string label = runs.size() > 1 ? run + ": " + name : name;
      panel_named(keys.empty() ? curve_family(name) : name).series.push_back(Series{label, points});
    }
  }
  return panels;
}

cv::Mat draw_panels(const std::vector<Panel>& panels, int width, int height) {
  const int columns = panels.size() > 1 ? 2 : 1;
  const int rows = std::max<int>(1, static_cast<int>((panels.size() + size_t(columns) - 1) / size_t(columns)));
  cv::Mat out(rows * height, columns * width, CV_8UC3, cv::Scalar::all(255));
  for (size_t i = 0; i < panels.size(); ++i) {
    cv::Mat cell = out(cv::Rect(static_cast<int>(i % size_t(columns)) * width,
                                static_cast<int>(i / size_t(columns)) * height, width, height));
    draw_panel(cell, panels[i]);
  }
  return out;
}

}  // namespace gen
