#include "support/run_gen.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "support/idx_writer.h"

#include <catch2/catch.hpp>

namespace gen::test {

Run run_gen(const std::string& args, const TempDir& dir, const std::string& shell_prefix) {
  const std::string log = dir / "gen_output.txt";
  const std::string cmd =
      std::string("cd '" GEN_SOURCE_DIR "' && ") + shell_prefix + "'" GEN_BINARY "' " + args + " > '" + log + "' 2>&1";
  const int status = std::system(cmd.c_str());
  Run r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.output = read_text(log);
  return r;
}

Run check_resumes_identically(const std::string& args, const TempDir& dir) {
  Run r = run_gen("verify-resume " + args, dir);
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("logged steps identical, final weights identical"));
  return r;
}

std::string background_gen(const std::string& args, const std::string& log_file, const std::string& rc_file,
                           const std::string& env) {
  return std::string("cd '" GEN_SOURCE_DIR "' && (") + env + "'" GEN_BINARY "' " + args + " > '" + log_file +
         "' 2>&1; echo $? > '" + rc_file + ".tmp'; mv '" + rc_file + ".tmp' '" + rc_file + "') &";
}

bool wait_for_text(const std::string& path, const std::string& text) {
  for (int i = 0; i < 8000 && read_text(path).find(text) == std::string::npos; ++i) ::usleep(50 * 1000);
  return read_text(path).find(text) != std::string::npos;
}

std::string tiny_sets(const TempDir& dir) {
  return " --set data.root=" + dir.path() + "/data --set out_dir=" + dir.path() + "/runs";
}

std::string tiny_train(const TempDir& dir, const std::string& extra) {
  return "train configs/tiny/dcgan.yaml" + tiny_sets(dir) + " " + extra;
}

std::string with_tiny_mnist(const TempDir& dir) {
  std::filesystem::create_directories(dir / "data");
  write_tiny_mnist(dir / "data", 64, 28);
  return tiny_sets(dir);
}

std::string with_tiny_text(const TempDir& dir) {
  std::filesystem::create_directories(dir / "data");
  write_text(dir / "data/input.txt", tiny_text());
  return " --set data.root=" + (dir / "data");
}

std::string tiny_text() {
  std::string t;
  for (int i = 0; i < 40; ++i) t += "ROMEO: but soft, what light through yonder window breaks?\nJULIET: ay me.\n";
  return t;
}

int count_lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

std::vector<std::string> losses(const std::string& jsonl) {
  std::vector<std::string> out;
  std::istringstream in(jsonl);
  for (std::string line; std::getline(in, line);) out.push_back(line.substr(0, line.find(",\"lr\"")));
  return out;
}

int lock_holder(const std::string& run_dir) {
  const std::string note = read_text(run_dir + "/.lock");
  return note.rfind("PID ", 0) == 0 ? static_cast<int>(std::stol(note.substr(4))) : 0;
}

}  // namespace gen::test
