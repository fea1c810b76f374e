// The device strings gen takes (config key `device`, --device flags), checked without LibTorch.
#pragma once

#include <string>

namespace gen {

// Whether SPEC is one of auto, cpu, cuda, cuda:N (N up to 2 digits).
inline bool is_device_spec(const std::string& spec) {
  if (spec == "auto" || spec == "cpu" || spec == "cuda") return true;
  return spec.rfind("cuda:", 0) == 0 && spec.size() > 5 && spec.size() <= 7 &&
         spec.find_first_not_of("0123456789", 5) == std::string::npos;
}

}  // namespace gen
