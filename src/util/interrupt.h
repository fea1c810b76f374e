// Ctrl-C / SIGTERM during training: the first signal asks the loop to stop after the current
// step (it then writes a checkpoint); a second one exits at once without touching files.
#pragma once

namespace gen {

void install_interrupt_handlers();
bool interrupt_requested();

}  // namespace gen
