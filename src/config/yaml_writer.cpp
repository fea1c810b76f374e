#include "config/yaml_writer.h"

#include <cstdio>
#include <cstdlib>

namespace gen {

std::string format_double(double x) {
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  std::string s = buf;
  // Keep it a float for YAML readers that care (1 -> 1.0); exponents already read as floats.
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

}  // namespace gen
