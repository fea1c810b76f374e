// The files one command writes, checked before it does any work, so that a mistyped flag
// never replaces what the user has: an output is never one of the command's inputs, never
// another output of the same call, never an existing folder, device, FIFO, socket or symbolic
// link (a run's latest.pt), and never a gen checkpoint or a file in a run's checkpoints/
// folder. Each refusal is one UsageError (exit 2) naming the flag; nothing has been written.
#pragma once

#include <string>
#include <vector>

namespace gen {

struct OutputFile {
  std::string flag;  // "--out", "--probe", ...
  std::string path;
};

void check_outputs(const std::vector<OutputFile>& outputs, const std::vector<std::string>& inputs);

}  // namespace gen
