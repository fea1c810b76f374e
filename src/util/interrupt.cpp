#include "util/interrupt.h"

#include <unistd.h>

#include <atomic>
#include <csignal>

#include "util/errors.h"

namespace gen {

namespace {
std::atomic<int> g_signals{0};

extern "C" void on_signal(int /*sig*/) {
  if (g_signals.fetch_add(1) >= 1) {
    static const char msg[] = "\ngen: second interrupt, exiting now; existing checkpoints are untouched\n";
    const ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    ::_exit(static_cast<int>(ExitCode::kInterrupted));
  }
}
}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool interrupt_requested() { return g_signals.load() > 0; }

}  // namespace gen
