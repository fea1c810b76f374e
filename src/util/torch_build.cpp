#include "util/torch_build.h"

#include <ATen/Version.h>

#include <cstdlib>
#include <cstring>
#include <sstream>

namespace gen {

namespace {
const std::string& config() {
  static const std::string text = at::show_config();  // built by LibTorch on every call
  return text;
}
}  // namespace

std::string torch_build_setting(const std::string& key) {
  const std::string& c = config();
  const std::string needle = key + "=";
  for (size_t at = c.find(needle); at != std::string::npos; at = c.find(needle, at + 1)) {
    if (at > 0 && c[at - 1] != ' ') continue;  // the end of another key
    const size_t begin = at + needle.size();
    const size_t end = c.find_first_of(",\n", begin);
    return c.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  }
  return "";
}

std::string torch_config_line(const std::string& prefix) {
  std::istringstream lines(config());
  for (std::string line; std::getline(lines, line);) {
    const size_t at = line.find(prefix);
    if (at != std::string::npos) return line.substr(at + prefix.size());
  }
  return "";
}

bool mkl_own_vendor_check() {
  const char* own = std::getenv("GEN_MKL_VENDOR_CHECK");
  return own != nullptr && std::strcmp(own, "1") == 0;
}

}  // namespace gen
