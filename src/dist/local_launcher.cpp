#include "dist/local_launcher.h"

#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "util/errors.h"

extern char** environ;

namespace gen {

namespace {

volatile std::sig_atomic_t pending_signal = 0;
void remember_signal(int sig) { pending_signal = sig; }

std::string self_path() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw IoError("--nproc-per-node: cannot find this program (/proc/self/exe)");
  return std::string(buf, size_t(n));
}

// The environment of rank `rank`: this process's, minus any launcher variables, plus torchrun's.
std::vector<std::string> rank_environment(int64_t rank, int64_t nproc, int port) {
  static const char* ours[] = {"RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "LOCAL_WORLD_SIZE=", "MASTER_ADDR=",
                               "MASTER_PORT=", "TORCHELASTIC_USE_AGENT_STORE=", "GEN_NPROC_PER_NODE="};
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string var = *e;
    bool replaced = false;
    for (const char* name : ours) replaced = replaced || var.rfind(name, 0) == 0;
    if (!replaced) env.push_back(var);
  }
  for (const std::string& v :
       {"RANK=" + std::to_string(rank), "LOCAL_RANK=" + std::to_string(rank), "WORLD_SIZE=" + std::to_string(nproc),
        "LOCAL_WORLD_SIZE=" + std::to_string(nproc), std::string("MASTER_ADDR=127.0.0.1"),
        "MASTER_PORT=" + std::to_string(port),
        // Marks the ranks as this launcher's (LaunchEnv::launcher), for their logs and hints.
        "GEN_NPROC_PER_NODE=" + std::to_string(nproc)}) {
    env.push_back(v);
  }
  return env;
}

pid_t start_rank(const std::string& exe, const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<char*> argv{const_cast<char*>(exe.c_str())}, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw IoError("--nproc-per-node: cannot start a rank (fork failed)");
  if (pid == 0) {
    // Its own process group: a terminal's Ctrl-C reaches the launcher only, which forwards it
    // once; and SIGTERM when the launcher dies without forwarding anything (SIGKILL).
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ::execve(exe.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

// One attempt: every rank started, then waited for. Returns the job's exit code and sets
// `failed_rank` (-1 when none failed on its own).
int run_attempt(const LocalLaunch& launch, const std::vector<std::string>& args, int64_t& failed_rank) {
  const std::string exe = self_path();
  const int port = free_local_port();
  std::vector<pid_t> pids;
  for (int64_t r = 0; r < launch.nproc; ++r) pids.push_back(start_rank(exe, args, rank_environment(r, launch.nproc, port)));
  std::vector<int> codes(pids.size(), -1);
  int forwarded = 0, code = 0;
  failed_rank = -1;
  auto stop_all = [&](int sig) {
    for (size_t i = 0; i < pids.size(); ++i) {
      if (codes[i] < 0) ::kill(pids[i], sig);
    }
  };
  auto stopping_since = std::chrono::steady_clock::time_point::max();
  for (size_t live = pids.size(); live > 0;) {
    if (const int sig = pending_signal; sig != 0) {  // Ctrl-C or SIGTERM to the launcher: to every rank
      pending_signal = 0;
      forwarded = sig;
      stop_all(sig);
      // The grace period covers the interrupt checkpoint; a rank that ignores the signal past it is killed.
      if (stopping_since == std::chrono::steady_clock::time_point::max()) stopping_since = std::chrono::steady_clock::now();
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      if (stopping_since != std::chrono::steady_clock::time_point::max() &&
          std::chrono::steady_clock::now() - stopping_since > std::chrono::seconds(30)) {
        stop_all(SIGKILL);  // a rank that does not stop within the grace period
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    for (size_t i = 0; i < pids.size(); ++i) {
      if (pids[i] != pid) continue;
      codes[i] = exit_code_of(status);
      --live;
      if (codes[i] != 0 && failed_rank < 0 && forwarded == 0) {
        failed_rank = int64_t(i);
        code = codes[i];
        spdlog::error("--nproc-per-node: rank {} exited {}; stopping the other ranks", i, codes[i]);
        stop_all(SIGTERM);
        stopping_since = std::chrono::steady_clock::now();
      } else if (forwarded != 0 && code == 0) {
        code = codes[i];
      }
    }
  }
  return code;
}

}  // namespace

int free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw IoError("--nproc-per-node: cannot open a socket to find a free port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok) throw IoError("--nproc-per-node: cannot find a free port on 127.0.0.1");
  return ntohs(addr.sin_port);
}

int run_local_ranks(const LocalLaunch& launch) {
  struct sigaction action {};
  action.sa_handler = remember_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  spdlog::info("--nproc-per-node: starting {} ranks on 127.0.0.1", launch.nproc);
  std::vector<std::string> args = launch.args;
  for (int64_t attempt = 0;; ++attempt) {
    int64_t failed_rank = -1;
    const int code = run_attempt(launch, args, failed_rank);
    if (failed_rank < 0 || attempt >= launch.max_restarts) return code;
    spdlog::warn("--nproc-per-node: restarting every rank from the newest checkpoint (restart {} of {})",
                 attempt + 1, launch.max_restarts);
    args = launch.restart_args;
  }
}

}  // namespace gen
