#include "dist/stop_vote.h"

#include <csignal>

#include "util/interrupt.h"

namespace gen {

namespace {
std::optional<int>& last_vote() {
  static std::optional<int> vote;
  return vote;
}
}  // namespace

void write_stop_vote(float* vote) {
  const bool asked = interrupt_requested();
  const bool term = asked && interrupt_exit_code() == ExitCode::kTerminated;
  vote[0] = asked && !term ? 1.0f : 0.0f;
  vote[1] = term ? 1.0f : 0.0f;
}

int agreed_stop_signal(const float* sums) {
  if (sums[1] > 0) return SIGTERM;
  return sums[0] > 0 ? SIGINT : 0;
}

void record_stop_vote(int signal) { last_vote() = signal; }

std::optional<int> take_stop_vote() {
  const std::optional<int> vote = last_vote();
  last_vote().reset();
  return vote;
}

}  // namespace gen
