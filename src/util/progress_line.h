// The live progress line of a training run on a terminal: one line on stderr, redrawn in place
// (at most 5 times a second) with a bar, the step, steps/s averaged over the whole run so far
// and the ETA from that average, so a briefly busy machine does not make it jump. Log lines
// clear it first and it comes back with the next step. Off when stderr is not a terminal (CI,
// files, pipes: the periodic log lines say the same) or TERM is dumb; GEN_PROGRESS=0/1 forces.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace gen {

// "7m30s", "3h15m" (rounded to whole seconds first: never "1m60s"); "?" when not finite.
std::string duration_text(double seconds);

class ProgressLine {
 public:
  // A line for steps (start, total]; `enabled` false makes every call a no-op.
  ProgressLine(int64_t start, int64_t total, bool enabled);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void update(int64_t step);
  // Clears the line for good (end of the run).
  void finish();

  // Whether stderr is a terminal that can redraw a line (and GEN_PROGRESS does not say otherwise).
  static bool wanted();
  // The text of the line, without the carriage return: "[#####.....]  1200/24000  5.0% | 4.21 steps/s | eta 1h30m".
  static std::string render(int64_t step, int64_t start, int64_t total, double seconds, int width = 30);

 private:
  using Clock = std::chrono::steady_clock;
  int64_t start_, total_;
  bool enabled_;
  Clock::time_point t0_, last_draw_;
};

}  // namespace gen
