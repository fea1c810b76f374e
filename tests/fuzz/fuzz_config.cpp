// libFuzzer target: any bytes as a config file. Must end in a config or a ConfigError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.h"
#include "util/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    gen::Config c = gen::parse_config(text, "fuzz.yaml");
    (void)gen::config_to_yaml(c, true);  // the writer must take whatever the reader accepted
  } catch (const gen::ConfigError&) {
  }
  return 0;
}
