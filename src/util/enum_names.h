// Enums that are words to users (YAML values, command-line flags, figure names): each enum
// lists its words once, in the order of its values, by specialising EnumNames, and everything
// that reads, writes or lists the words uses that list.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

namespace gen {

// For example:
//   enum class Schedule { kConstant, kCosine };
//   template <> struct EnumNames<Schedule> {
//     static constexpr std::array<std::string_view, 2> names{"constant", "cosine"};
//   };
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

}  // namespace gen
