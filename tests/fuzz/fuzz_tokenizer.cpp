// libFuzzer target: any bytes as a tokenizer.json (data.tokenizer_file), then, when it reads as a
// byte-level BPE, the same bytes encoded and decoded. Must end in a tokenizer or a DataError;
// what encodes must decode to the bytes it came from (unless add_prefix_space puts spaces in,
// as the library does, before each stretch between added tokens).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/tokenizer.h"
#include "util/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const gen::Tokenizer tok = gen::Tokenizer::from_json(bytes, "fuzz.json");
    const std::string back = tok.decode(tok.encode(bytes));
    if (!tok.bpe()->model().add_prefix_space && back != bytes) std::abort();
  } catch (const gen::DataError&) {
  }
  return 0;
}
