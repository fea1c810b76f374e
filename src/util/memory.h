// How much memory this process may still take, so data loading can refuse a size that would end
// in a raw allocator error (or in the kernel's OOM killer) with a message saying what to change.
#pragma once

#include <cstdint>
#include <string>

namespace gen {

// The least of: MemAvailable (/proc/meminfo), the cgroup's memory.max less its memory.current,
// the address-space limit (ulimit -v) less what this process maps already, and the data limit
// (ulimit -d) less its data segment (VmData). UINT64_MAX when none is known.
uint64_t available_memory();

// "" when `bytes` fit in available_memory(), else "need 3.9 GiB of memory to load, and 2.1 GiB are
// available": the end of the one line a loader refuses such data with.
std::string memory_shortfall(uint64_t bytes);

// "3.9 GiB", "512.0 MiB"
std::string format_bytes(uint64_t bytes);

}  // namespace gen
