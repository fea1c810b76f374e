// CLI11 checks shared by the subcommands, so every flag is validated where it is parsed and a
// mistake is a usage error (exit 2) naming the flag.
#pragma once

#include <CLI/CLI.hpp>
#include <cmath>
#include <string>

#include "util/device_spec.h"

namespace gen {

// A finite number (CLI::Range lets NaN through: every comparison with it is false).
inline const CLI::Validator kFinite(
    [](std::string& value) -> std::string {
      try {
        size_t used = 0;
        const double v = std::stod(value, &used);
        if (used == value.size() && std::isfinite(v)) return "";
      } catch (const std::exception&) {
      }
      return "expected a finite number, got '" + value + "'";
    },
    "FINITE");

inline const CLI::Validator kDevice(
    [](std::string& value) -> std::string {
      return is_device_spec(value) ? "" : "expected auto, cpu, cuda or cuda:N, got '" + value + "'";
    },
    "DEVICE");

}  // namespace gen
