// What a config field says about itself: help text and the values it accepts. Every config
// struct lists its fields once, in visit(), and the reader, the writer and `gen config keys`
// all walk that one list, so documentation and validation cannot drift apart.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace gen {

// An option that is one of a few words in YAML and an enum in code. Each enum lists its words
// once, in the order of its values, by specialising EnumNames:
//   enum class Schedule { kConstant, kCosine };
//   template <> struct EnumNames<Schedule> { static constexpr std::array<std::string_view, 2> names{"constant",
//   "cosine"}; };
// Reading, writing, `gen config keys` and error messages all use that one list.
template <class E>
struct EnumNames;

template <class E>
std::string enum_name(E value) {
  return std::string(EnumNames<E>::names[static_cast<size_t>(value)]);
}

template <class E>
std::optional<E> enum_from_name(std::string_view name) {
  const auto& names = EnumNames<E>::names;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

template <class E>
std::vector<std::string> enum_names() {
  return {EnumNames<E>::names.begin(), EnumNames<E>::names.end()};
}

// The row of a table with one row per value of E, in E's order (`key`: the row's E member).
template <class Row, size_t N, class E>
const Row& enum_row(const Row (&rows)[N], E value, E Row::*key) {
  static_assert(N == std::tuple_size_v<decltype(EnumNames<E>::names)>, "one row per enum value");
  const Row& row = rows[static_cast<size_t>(value)];
  if (row.*key != value) throw std::logic_error("table rows out of order at " + enum_name(value));
  return row;
}

struct Doc {
  std::string help;
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  std::vector<std::string> choices;  // for strings; empty = any
  bool resumable = false;            // may differ between a checkpoint's config and the config that resumes it

  Doc(const char* h) : help(h) {}  // NOLINT(google-explicit-constructor): fields read as v("k", x, "help")
  explicit Doc(std::string h) : help(std::move(h)) {}
  Doc& range(double l, double h) {
    lo = l;
    hi = h;
    return *this;
  }
  Doc& one_of(std::vector<std::string> c) {
    choices = std::move(c);
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
