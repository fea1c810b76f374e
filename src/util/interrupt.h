// Ctrl-C / SIGTERM during training: the first signal asks the loop to stop after the current
// step (it then writes a checkpoint); a second one exits at once without touching files,
// unless it comes within 2 s of the first (the same request, delivered twice by a terminal
// and a launcher that forwards it).
// Either way the exit code is 128 + the first signal's number: 130 for SIGINT, 143 for SIGTERM.
#pragma once

#include "util/errors.h"

namespace gen {

void install_interrupt_handlers();
// For the commands that stop where they are (sample, eval, export, tokenize, ...): a signal
// removes the files being written (util/temp_files.h), says so in one line and exits with
// 128 + its number at once. Installed for every command; train and the launcher replace it.
void install_exit_on_interrupt();
bool interrupt_requested();
// A data-parallel job stops as one: a rank takes the signal the job agreed on (dist/stop_vote.h)
// as if it had come here, so it stops and exits with the same code as the rank that got it.
void adopt_interrupt(int signal);
// The exit code an interrupted run ends with (kInterrupted or kTerminated); kOk when none came.
ExitCode interrupt_exit_code();
// "SIGINT", "SIGTERM" or "" when none came.
const char* interrupt_name();

}  // namespace gen
