// Running the real gen binary from end-to-end tests, on the tiny configs and the data the tests write.
#pragma once

#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace gen::test {

struct Run {
  int code = -1;
  std::string output;  // stdout + stderr
};

// Runs `gen ARGS` from the source folder. `shell_prefix` runs before the binary in the same
// shell, e.g. "GEN_X=1 " or "ulimit -f 64; ".
Run run_gen(const std::string& args, const TempDir& dir, const std::string& shell_prefix = "");

// Runs `gen verify-resume ARGS` and checks that it found the stopped-and-resumed run identical
// to the straight one (logged steps and final weights); returns the run for further checks.
Run check_resumes_identically(const std::string& args, const TempDir& dir);

// The shell command that starts `gen ARGS` in the background; when it ends its exit code lands
// in RC_FILE (written whole, via a rename) and its output in LOG_FILE. `env`: "NAME=value "
// assignments for gen's environment.
std::string background_gen(const std::string& args, const std::string& log_file, const std::string& rc_file,
                           const std::string& env = "");

// Polls until the file holds `text` (up to 400 s: under a loaded ctest -j runs take many times
// their time alone); true when it does.
bool wait_for_text(const std::string& path, const std::string& text);

// The --set flags that point a tiny config at dir/data and its runs at dir/runs.
std::string tiny_sets(const TempDir& dir);
// "train configs/tiny/dcgan.yaml" on dir's data and runs, then `extra`.
std::string tiny_train(const TempDir& dir, const std::string& extra);
// Writes a tiny MNIST under dir/data; returns tiny_sets(dir).
std::string with_tiny_mnist(const TempDir& dir);
// Writes tiny_text() to dir/data/input.txt; returns the flag that points data.root there.
std::string with_tiny_text(const TempDir& dir);
// A few lines of ASCII text, long enough for the tiny Transformer's windows and its 10% validation split.
std::string tiny_text();

int count_lines(const std::string& text);
// The PID a run folder's lock names ("PID 1234, started ..."), or 0.
int lock_holder(const std::string& run_dir);
// Metric lines without the timing fields, which differ between runs.
std::vector<std::string> losses(const std::string& jsonl);

}  // namespace gen::test
