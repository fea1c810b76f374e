#include "util/interrupt.h"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

#include "util/errors.h"
#include "util/temp_files.h"

namespace gen {

namespace {
std::atomic<int> g_signals{0};
std::atomic<int> g_first{0};  // the first signal's number
std::atomic<long long> g_first_ms{0};

long long now_ms() {  // clock_gettime is async-signal-safe
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<long long>(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
}

extern "C" void on_signal(int sig) {
  int none = 0;
  if (g_first.compare_exchange_strong(none, sig)) g_first_ms.store(now_ms());
  // A second signal within 2 s is the same request delivered twice: a terminal's Ctrl-C reaches
  // every process of a job, and a launcher (torchrun) forwards its own to the ranks as well.
  if (g_signals.load() >= 1 && now_ms() - g_first_ms.load() < 2000) return;
  if (g_signals.fetch_add(1) >= 1) {
    static const char msg[] = "\ngen: second interrupt, exiting now; existing checkpoints are untouched\n";
    remove_temp_files_now();  // a checkpoint half-written when the signal came
    const ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    ::_exit(128 + g_first.load());
  }
}

extern "C" void exit_on_signal(int sig) {
  remove_temp_files_now();
  static const char int_msg[] = "\ngen: SIGINT: stopped; no partly written file was left\n";
  static const char term_msg[] = "\ngen: SIGTERM: stopped; no partly written file was left\n";
  const bool term = sig == SIGTERM;
  const ssize_t ignored = ::write(STDERR_FILENO, term ? term_msg : int_msg, (term ? sizeof term_msg : sizeof int_msg) - 1);
  (void)ignored;
  ::_exit(128 + sig);
}

void handle_sigint_sigterm(void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}
}  // namespace

void install_interrupt_handlers() { handle_sigint_sigterm(on_signal); }

void install_exit_on_interrupt() { handle_sigint_sigterm(exit_on_signal); }

bool interrupt_requested() { return g_signals.load() > 0; }

void adopt_interrupt(int signal) {
  if (g_signals.load() == 0) g_first_ms.store(now_ms());
  g_first.store(signal);
  int none = 0;
  g_signals.compare_exchange_strong(none, 1);
}

ExitCode interrupt_exit_code() {
  switch (g_first.load()) {
    case 0:
      return ExitCode::kOk;
    case SIGTERM:
      return ExitCode::kTerminated;
    default:
      return ExitCode::kInterrupted;
  }
}

const char* interrupt_name() {
  switch (g_first.load()) {
    case 0:
      return "";
    case SIGTERM:
      return "SIGTERM";
    default:
      return "SIGINT";
  }
}

}  // namespace gen
