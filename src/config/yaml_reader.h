// Reads one YAML mapping into a config struct through its visit(): type and range checks,
// errors that name the file:line:col (or the --set flag) and the full key path, and unknown
// keys reported with the nearest valid one.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "config/field.h"

namespace gen {

class YamlReader {
 public:
  YamlReader(YAML::Node node, std::string prefix, const ConfigSource* source);

  template <class T>
  void operator()(const char* key, T& value, const Doc& doc) {
    known_.emplace_back(key);
    const YAML::Node child = lookup(key);
    // `key:` with nothing after it (or --set key=) is a mistake, not a request for the default.
    if (child.IsDefined() && child.IsNull()) fail(child, path(key), "no value given; write one, or leave the key out");
    if (child.IsDefined()) read(child, path(key), value, doc);
  }

  template <class S>
  void section(const char* key, S& sub, const Doc& /*doc*/) {
    known_.emplace_back(key);
    const YAML::Node child = lookup(key);
    if (!child.IsDefined() || child.IsNull()) return;
    if (!child.IsMap()) fail(child, path(key), "expected a mapping of keys, got " + describe(child));
    YamlReader sub_reader(child, path(key), source_);
    sub.visit(sub_reader);
    sub_reader.finish();
  }

  // Keys no field claimed, kept for a later reader (a model family's own options).
  void rest(YAML::Node& out, const YAML::Node& docs = YAML::Node());

  // Throws ConfigError for any key that no field claimed.
  void finish() const;

  [[noreturn]] void fail(const YAML::Node& at, const std::string& key_path, const std::string& what) const;

 private:
  YAML::Node lookup(const char* key) const;
  std::string path(const char* key) const;
  static std::string describe(const YAML::Node& n);

  void read(const YAML::Node& n, const std::string& key, int64_t& v, const Doc& d) const;
  void read(const YAML::Node& n, const std::string& key, int& v, const Doc& d) const;
  void read(const YAML::Node& n, const std::string& key, double& v, const Doc& d) const;
  void read(const YAML::Node& n, const std::string& key, bool& v, const Doc& d) const;
  void read(const YAML::Node& n, const std::string& key, std::string& v, const Doc& d) const;
  // A list: each element read and checked as T, named KEY[i] in errors.
  template <class T>
  void read(const YAML::Node& n, const std::string& key, std::vector<T>& v, const Doc& d) const {
    if (!n.IsSequence()) {
      fail(n, key, std::string("expected a list of ") + (std::is_integral_v<T> ? "integers" : "numbers") + ", got " +
                       describe(n));
    }
    std::vector<T> out(n.size());
    for (size_t i = 0; i < n.size(); ++i) read(n[i], key + "[" + std::to_string(i) + "]", out[i], d);
    v = std::move(out);
  }
  void read(const YAML::Node& n, const std::string& key, std::optional<int64_t>& v, const Doc& d) const;
  template <class E, class = std::enable_if_t<std::is_enum_v<E>>>
  void read(const YAML::Node& n, const std::string& key, E& v, const Doc& d) const {
    Doc words = d;
    words.choices = enum_names<E>();
    std::string s;
    read(n, key, s, words);  // checks s is one of the words
    v = *enum_from_name<E>(s);
  }

  YAML::Node node_;
  std::string prefix_;
  const ConfigSource* source_;
  std::vector<std::string> known_;
};

// Where a node came from, for messages: "file.yaml:12:5" or "--set train.steps=x".
std::string describe_location(const ConfigSource* source, const YAML::Node& at, const std::string& key_path);

}  // namespace gen
