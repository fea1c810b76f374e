#include "util/progress_line.h"

#include <spdlog/details/console_globals.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "util/errors.h"

namespace gen {

namespace {

constexpr const char* kClear = "\r\033[K";

// Placed before the console sink while a line is shown: clears it so a log line starts at column 0.
class ClearLineSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  bool shown = false;

 protected:
  void sink_it_(const spdlog::details::log_msg& /*msg*/) override {
    if (!shown) return;
    std::fputs(kClear, stderr);
    shown = false;
  }
  void flush_() override {}
};

std::shared_ptr<ClearLineSink>& clear_sink() {
  static std::shared_ptr<ClearLineSink> sink;
  return sink;
}

}  // namespace

std::string duration_text(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const auto total = static_cast<long long>(std::llround(s));
  char buf[32];
  if (total >= 3600) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", total / 3600, (total % 3600) / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", total / 60, total % 60);
  }
  return buf;
}


bool ProgressLine::wanted() {
  if (const char* forced = std::getenv("GEN_PROGRESS")) {
    if (std::strcmp(forced, "0") != 0 && std::strcmp(forced, "1") != 0) {
      throw UsageError("GEN_PROGRESS='" + std::string(forced).substr(0, 40) +
                       "': expected 1 (draw the progress line) or 0 (never), or leave it unset (on a terminal)");
    }
    return std::strcmp(forced, "1") == 0;
  }
  const char* term = std::getenv("TERM");
  return isatty(STDERR_FILENO) == 1 && !(term && std::strcmp(term, "dumb") == 0);
}

std::string ProgressLine::render(int64_t step, int64_t start, int64_t total, double seconds, int width) {
  const double done = total > 0 ? std::clamp(double(step) / double(total), 0.0, 1.0) : 1.0;
  const int filled = static_cast<int>(std::floor(done * width));
  std::string bar(size_t(width) + 2, '.');  // built in place: GCC 12's -Wrestrict misfires on string + in C++20
  bar.front() = '[';
  bar.back() = ']';
  std::fill_n(bar.begin() + 1, filled, '#');
  const double rate = seconds > 0 ? double(step - start) / seconds : 0.0;  // over the whole run so far
  const std::string eta = rate > 0 ? duration_text(double(total - step) / rate) : "?";
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s %lld/%lld %5.1f%% | %.2f steps/s | eta %s", bar.c_str(), (long long)step,
                (long long)total, 100.0 * done, rate, eta.c_str());
  return buf;
}

ProgressLine::ProgressLine(int64_t start, int64_t total, bool enabled)
    : start_(start), total_(total), enabled_(enabled), t0_(Clock::now()), last_draw_() {
  if (!enabled_) return;
  clear_sink() = std::make_shared<ClearLineSink>();
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.insert(sinks.begin(), clear_sink());
}

ProgressLine::~ProgressLine() { finish(); }

void ProgressLine::update(int64_t step) {
  if (!enabled_) return;
  const auto now = Clock::now();
  if (step < total_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  const double seconds = std::chrono::duration<double>(now - t0_).count();
  std::lock_guard<std::mutex> lock(spdlog::details::console_mutex::mutex());
  std::fprintf(stderr, "%s%s", kClear, render(step, start_, total_, seconds).c_str());
  std::fflush(stderr);
  clear_sink()->shown = true;
}

void ProgressLine::finish() {
  if (!enabled_) return;
  enabled_ = false;
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), clear_sink()), sinks.end());
  if (clear_sink()->shown) {
    std::fputs(kClear, stderr);
    std::fflush(stderr);
  }
  clear_sink().reset();
}

}  // namespace gen
