// What a config field says about itself: help text and the values it accepts. Every config
// struct lists its fields once, in visit(), and the reader, the writer and `gen config keys`
// all walk that one list, so documentation and validation cannot drift apart.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "util/enum_names.h"

namespace gen {

struct Doc {
  std::string help;
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  std::vector<std::string> choices;  // the words an enum field accepts (set from EnumNames when read)
  bool resumable = false;            // may differ between a checkpoint's config and the config that resumes it

  Doc(const char* h) : help(h) {}  // NOLINT(google-explicit-constructor): fields read as v("k", x, "help")
  explicit Doc(std::string h) : help(std::move(h)) {}
  Doc& range(double l, double h) {
    lo = l;
    hi = h;
    return *this;
  }
  // The key may change when a run resumes (a cadence, a learning rate); keys that decide the
  // model, the data or the state a checkpoint holds may not (without --force).
  Doc& may_change_on_resume() {
    resumable = true;
    return *this;
  }
};

// Where the values came from, so errors can name a file, line and column, or the --set flag.
struct ConfigSource {
  std::string file;
  std::vector<std::pair<std::string, std::string>> overrides;  // key path -> "--set k=v" text
};

}  // namespace gen
