#include "util/threads.h"

#include <dlfcn.h>
#include <sched.h>
#include <sys/resource.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

#include "util/torch_build.h"

namespace gen {

namespace {
using SetThreadsFn = void (*)(int);

// Debian's LibTorch reaches OpenBLAS through libblas.so.3; look the symbol up at run time so
// gen also runs where the reference BLAS or MKL sits behind that name. A LibTorch with MKL
// inside (the pip wheels: BLAS_INFO=mkl) never calls OpenBLAS, even when OpenCV has loaded it:
// its GEMMs follow the intra-op threads, so there is no OpenBLAS to set (treating the loaded
// one as LibTorch's put MKL on 1 thread for matmul models and halved their speed).
void* libtorch_openblas_symbol(const char* name) {
  static const bool blas_inside = torch_build_setting("BLAS_INFO") == "mkl";
  return blas_inside ? nullptr : dlsym(RTLD_DEFAULT, name);
}

SetThreadsFn openblas_setter() {
  return reinterpret_cast<SetThreadsFn>(libtorch_openblas_symbol("openblas_set_num_threads"));
}

// cpuN -> (busy, total) jiffies of one /proc/stat text.
std::vector<std::pair<int, std::pair<double, double>>> cpu_times(const std::string& stat) {
  std::vector<std::pair<int, std::pair<double, double>>> times;
  std::istringstream lines(stat);
  for (std::string line; std::getline(lines, line);) {
    int id = 0;
    // "cpuN ..." lines; the first line, "cpu  ...", is the sum over all CPUs.
    if (line.rfind("cpu", 0) != 0 || line.size() < 4 || !std::isdigit(static_cast<unsigned char>(line[3])) ||
        std::sscanf(line.c_str(), "cpu%d", &id) != 1) {
      continue;
    }
    std::istringstream fields(line.substr(line.find(' ')));
    double v = 0, total = 0, idle = 0;
    for (int i = 0; fields >> v; ++i) {
      if (i >= 8) break;               // guest times are already inside user and nice
      if (i == 3 || i == 4) idle += v;  // idle, iowait
      total += v;
    }
    times.push_back({id, {total - idle, total}});
  }
  return times;
}

std::string read_proc_stat() {
  std::ifstream in("/proc/stat");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}
}  // namespace

std::vector<int> allowed_cpu_ids() {
  std::vector<int> ids;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return ids;
  for (int i = 0; i < CPU_SETSIZE; ++i) {
    if (CPU_ISSET(i, &set)) ids.push_back(i);
  }
  return ids;
}

double busy_between(const std::string& before, const std::string& after, const std::vector<int>& cpus) {
  const auto a = cpu_times(before), b = cpu_times(after);
  double busy = 0;
  for (const auto& [id, t1] : b) {
    if (std::find(cpus.begin(), cpus.end(), id) == cpus.end()) continue;
    for (const auto& [id0, t0] : a) {
      if (id0 != id) continue;
      const double total = t1.second - t0.second;
      if (total > 0) busy += std::clamp((t1.first - t0.first) / total, 0.0, 1.0);
    }
  }
  return busy;
}

double busy_cpus(std::chrono::milliseconds window) {
  // Pool threads of this process may still spin from earlier work (OpenBLAS waits a while
  // before it sleeps): their CPU time is not someone else's.
  auto own_seconds = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
  };
  const std::string before = read_proc_stat();
  const double own0 = own_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(window);
  const std::string after = read_proc_stat();
  const double own = own_seconds() - own0;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return std::max(0.0, busy_between(before, after, allowed_cpu_ids()) - own / seconds);
}

ThreadCounts current_threads() {
  using GetThreadsFn = int (*)();
  const auto get_blas = reinterpret_cast<GetThreadsFn>(libtorch_openblas_symbol("openblas_get_num_threads"));
  return {at::get_num_threads(), get_blas ? get_blas() : 0};
}

int64_t available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return 1;
}

int64_t cpu_share(int64_t cpus, int64_t sharing) { return std::max<int64_t>(1, cpus / std::max<int64_t>(1, sharing)); }

ThreadChoice choose_threads(const ThreadRequest& runtime, CpuWorkload workload, int64_t cpus, bool openblas_loaded,
                            double busy, int64_t sharing) {
  ThreadChoice c;
  c.cpus = cpus;
  const int64_t share = cpu_share(cpus, sharing);
  const int64_t taken = std::min<int64_t>(share - 1, std::max<int64_t>(0, std::llround(std::floor(busy + 0.5))));
  const int64_t threads = runtime.threads.value_or(share - taken);
  // Measured on 2 cores (README, "Threads"): convolution nets run im2col GEMMs from inside
  // OpenMP regions, where a multi-threaded OpenBLAS only fights OpenMP for the cores
  // (OpenMP 2 + OpenBLAS 1); matmul nets spend their time in large GEMMs that OpenBLAS
  // threads well, and run fastest with OpenMP at 1 and OpenBLAS at full width.
  const bool blas_wide = workload == CpuWorkload::kMatmul;
  // OpenMP only adds wake-ups around GEMMs that OpenBLAS already spreads over the cores.
  c.intra = runtime.threads ? threads : (blas_wide && openblas_loaded ? 1 : threads);
  c.blas = openblas_loaded ? runtime.blas_threads.value_or(blas_wide ? threads : 1) : 0;
  c.interop = 1;  // gen runs one graph at a time; extra inter-op threads only add wake-ups
  c.summary = "threads: " + std::to_string(c.intra) + " OpenMP (intra-op), " + std::to_string(c.interop) +
              " inter-op, " +
              (openblas_loaded ? std::to_string(c.blas) + " OpenBLAS" : std::string("no OpenBLAS under LibTorch")) + "; " +
              std::to_string(cpus) + " CPUs available" +
              (sharing > 1 ? " to " + std::to_string(sharing) + " ranks on this machine, " + std::to_string(share) + " each"
                           : "") +
              (taken > 0 && !runtime.threads ? ", " + std::to_string(taken) + " of them busy with other work" : "") +
              "; workload " + (blas_wide ? "matmul" : "convolution") +
              (runtime.threads || runtime.blas_threads ? " (set in runtime.*)" : " (auto)");
  return c;
}

ThreadChoice configure_threads(const ThreadRequest& runtime, CpuWorkload workload, int64_t sharing) {
  const SetThreadsFn set_blas = openblas_setter();
  // 100 ms of /proc/stat before any parallel work of ours: what other processes keep busy.
  const double busy = runtime.threads || sharing > 1 ? 0.0 : busy_cpus(std::chrono::milliseconds(100));
  ThreadChoice c = choose_threads(runtime, workload, available_cpus(), set_blas != nullptr, busy, sharing);
  static bool interop_set = false;  // LibTorch allows this once per process
  if (!interop_set) {
    at::set_num_interop_threads(static_cast<int>(c.interop));
    interop_set = true;
  }
  at::set_num_threads(static_cast<int>(c.intra));
  if (set_blas) set_blas(static_cast<int>(c.blas));
  return c;
}

bool set_blas_threads(int64_t n) {
  const SetThreadsFn set_blas = openblas_setter();
  if (set_blas) set_blas(static_cast<int>(n));
  return set_blas != nullptr;
}

}  // namespace gen
