// libFuzzer target: any bytes as an IDX file. Must end in an array or a DataError, never read
// past the end or allocate what the header claims before checking it against the size.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "data/idx_file.h"
#include "util/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    gen::parse_idx(std::vector<uint8_t>(data, data + size), "fuzz.idx");
  } catch (const gen::DataError&) {
  }
  return 0;
}
