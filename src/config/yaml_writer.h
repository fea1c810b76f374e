// Writes a config struct back to YAML through its visit(): the resolved config that goes to
// the run folder, `gen config show`, and checkpoints. With comments on, each key carries its
// help text, so a run folder's config.yaml documents itself.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "config/field.h"

namespace gen {

// Shortest decimal text that reads back to the same double (2e-4, not 0.00020000000000000001).
std::string format_double(double x);

class YamlWriter {
 public:
  YamlWriter(YAML::Emitter& out, bool comments) : out_(out), comments_(comments) {}

  template <class T>
  void operator()(const char* key, const T& value, const Doc& doc) {
    out_ << YAML::Key << key << YAML::Value;
    emit(value);
    if (comments_ && !doc.help.empty()) out_ << YAML::Comment(doc.help);
  }

  template <class S>
  void section(const char* key, S& sub, const Doc& doc) {
    out_ << YAML::Key << key;
    if (comments_ && !doc.help.empty()) out_ << YAML::Comment(doc.help);
    out_ << YAML::Value << YAML::BeginMap;
    sub.visit(*this);
    out_ << YAML::EndMap;
  }

  // A family's or data kind's own keys; `docs` (key -> help, from DocCollector) comments them.
  void rest(const YAML::Node& extra, const YAML::Node& docs = YAML::Node()) {
    if (!extra.IsMap()) return;
    for (const auto& kv : extra) {
      out_ << YAML::Key << kv.first << YAML::Value << kv.second;
      if (!comments_ || !docs.IsMap()) continue;
      if (const YAML::Node help = docs[kv.first.Scalar()]; help.IsScalar() && !help.Scalar().empty()) {
        out_ << YAML::Comment(help.Scalar());
      }
    }
  }

 private:
  void emit(int64_t v) { out_ << v; }
  void emit(int v) { out_ << v; }
  void emit(bool v) { out_ << (v ? "true" : "false"); }
  void emit(double v) { out_ << format_double(v); }
  void emit(const std::string& v) { out_ << v; }
  void emit(const std::optional<int64_t>& v) {
    if (v)
      out_ << *v;
    else
      out_ << "auto";
  }
  template <class E, class = std::enable_if_t<std::is_enum_v<E>>>
  void emit(E v) {
    out_ << enum_name(v);
  }
  void emit(const std::vector<double>& v) {
    out_ << YAML::Flow << YAML::BeginSeq;
    for (double x : v) out_ << format_double(x);
    out_ << YAML::EndSeq;
  }
  void emit(const std::vector<int64_t>& v) {
    out_ << YAML::Flow << YAML::BeginSeq;
    for (int64_t x : v) out_ << x;
    out_ << YAML::EndSeq;
  }

  YAML::Emitter& out_;
  bool comments_;
};

// Lists every key with its default and help (`gen config keys`).
class KeyLister {
 public:
  explicit KeyLister(std::string prefix = "") : prefix_(std::move(prefix)) {}

  template <class T>
  void operator()(const char* key, const T& value, const Doc& doc) {
    YAML::Emitter e;
    e << YAML::Flow;
    YamlWriter w(e, false);
    e << YAML::BeginMap;
    w("v", value, doc);
    e << YAML::EndMap;
    std::string text = e.c_str();  // "{v: X}"
    text = text.substr(4, text.size() - 5);
    std::string line = prefix_ + key + " = " + text + "    # " + doc.help;
    if constexpr (std::is_enum_v<T>) {
      const std::vector<std::string> choices = enum_names<T>();
      line += " (";
      for (size_t i = 0; i < choices.size(); ++i) line += (i ? "|" : "") + choices[i];
      line += ")";
    }
    lines_.push_back(line);
  }

  template <class S>
  void section(const char* key, S& sub, const Doc& /*doc*/) {
    KeyLister inner(prefix_ + key + ".");
    sub.visit(inner);
    lines_.insert(lines_.end(), inner.lines_.begin(), inner.lines_.end());
  }

  void rest(const YAML::Node& /*extra*/, const YAML::Node& /*docs*/ = YAML::Node()) {}

  const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::string prefix_;
  std::vector<std::string> lines_;
};

// The help text of each top-level key of an options struct (a section's own help for a
// section), as a YAML map: what YamlWriter::rest comments a family's or data kind's keys with.
class DocCollector {
 public:
  template <class T>
  void operator()(const char* key, const T& /*value*/, const Doc& doc) {
    docs_[key] = doc.help;
  }
  template <class S>
  void section(const char* key, S& /*sub*/, const Doc& doc) {
    docs_[key] = doc.help;
  }
  void rest(const YAML::Node& /*extra*/, const YAML::Node& /*docs*/ = YAML::Node()) {}
  const YAML::Node& docs() const { return docs_; }

 private:
  YAML::Node docs_ = YAML::Node(YAML::NodeType::Map);
};

}  // namespace gen
