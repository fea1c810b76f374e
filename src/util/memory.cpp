#include "util/memory.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

namespace gen {

namespace {

constexpr uint64_t kUnknown = std::numeric_limits<uint64_t>::max();

// The number after `key` in a "Key:   123 kB" file (/proc/meminfo, /proc/self/status), in bytes.
uint64_t kib_field(const char* file, const std::string& key) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) == 0) {
      std::istringstream fields(line.substr(key.size()));
      uint64_t kib = 0;
      if (fields >> kib) return kib * 1024;
    }
  }
  return kUnknown;
}

// A cgroup v2 file holding one number ("max" = no limit).
uint64_t cgroup_number(const char* file) {
  std::ifstream in(file);
  std::string text;
  if (!(in >> text) || text == "max") return kUnknown;
  try {
    return std::stoull(text);
  } catch (const std::exception&) {
    return kUnknown;
  }
}

}  // namespace

uint64_t available_memory() {
  uint64_t available = kib_field("/proc/meminfo", "MemAvailable:");
  const uint64_t cgroup_max = cgroup_number("/sys/fs/cgroup/memory.max");
  const uint64_t cgroup_used = cgroup_number("/sys/fs/cgroup/memory.current");
  if (cgroup_max != kUnknown && cgroup_used != kUnknown) {
    available = std::min(available, cgroup_max > cgroup_used ? cgroup_max - cgroup_used : 0);
  }
  rlimit as{};
  if (::getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    const uint64_t mapped = kib_field("/proc/self/status", "VmSize:");
    if (mapped != kUnknown) available = std::min(available, as.rlim_cur > mapped ? as.rlim_cur - mapped : 0);
  }
  // ulimit -d: the heap and private writable mappings (VmData), not file mappings such as a
  // memory-mapped token file.
  rlimit data{};
  if (::getrlimit(RLIMIT_DATA, &data) == 0 && data.rlim_cur != RLIM_INFINITY) {
    const uint64_t used = kib_field("/proc/self/status", "VmData:");
    if (used != kUnknown) available = std::min(available, data.rlim_cur > used ? data.rlim_cur - used : 0);
  }
  return available;
}

std::string memory_shortfall(uint64_t bytes) {
  const uint64_t free = available_memory();
  if (bytes <= free) return "";
  return "need " + format_bytes(bytes) + " of memory to load, and " + format_bytes(free) + " are available";
}

std::string format_bytes(uint64_t bytes) {
  char buf[32];
  if (bytes >= (uint64_t(1) << 30)) {
    std::snprintf(buf, sizeof buf, "%.1f GiB", double(bytes) / double(uint64_t(1) << 30));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / double(1 << 20));
  }
  return buf;
}

}  // namespace gen
