// What a config field says about itself: help text and the values it accepts. Every config
// struct lists its fields once, in visit(), and the reader, the writer and `gen config keys`
// all walk that one list, so documentation and validation cannot drift apart.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace gen {

struct Doc {
  std::string help;
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  std::vector<std::string> choices;  // for strings; empty = any

  Doc(const char* h) : help(h) {}  // NOLINT(google-explicit-constructor): fields read as v("k", x, "help")
  Doc& range(double l, double h) { lo = l; hi = h; return *this; }
  Doc& at_least(double l) { lo = l; return *this; }
  Doc& one_of(std::vector<std::string> c) { choices = std::move(c); return *this; }
};

// Where the values came from, so errors can name a file, line and column, or the --set flag.
struct ConfigSource {
  std::string file;
  std::vector<std::pair<std::string, std::string>> overrides;  // key path -> "--set k=v" text
};

}  // namespace gen
