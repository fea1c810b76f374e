#include "config/yaml_reader.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "config/nearest.h"
#include "util/errors.h"

namespace gen {

namespace {
std::string format_bound(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

std::string range_text(const Doc& d) {
  if (std::isinf(d.hi)) return "at least " + format_bound(d.lo);
  if (std::isinf(d.lo)) return "at most " + format_bound(d.hi);
  return "between " + format_bound(d.lo) + " and " + format_bound(d.hi);
}
}  // namespace

std::string describe_location(const ConfigSource* source, const YAML::Node& at, const std::string& key_path) {
  if (source) {
    for (const auto& [key, flag] : source->overrides) {
      if (key == key_path || key_path.rfind(key + ".", 0) == 0 || key.rfind(key_path + ".", 0) == 0) {
        return flag;
      }
    }
  }
  std::string where = source ? source->file : std::string("<config>");
  const YAML::Mark mark = at.Mark();
  if (mark.line >= 0) {
    // Appended piece by piece: GCC 12's -Wrestrict misfires on ":" + std::to_string(...) here.
    where.append(1, ':').append(std::to_string(mark.line + 1)).append(1, ':').append(std::to_string(mark.column + 1));
  }
  return where;
}

YamlReader::YamlReader(YAML::Node node, std::string prefix, const ConfigSource* source)
    : node_(std::move(node)), prefix_(std::move(prefix)), source_(source) {}

YAML::Node YamlReader::lookup(const char* key) const {
  const YAML::Node& const_node = node_;  // const operator[] never inserts
  return const_node[key];
}

std::string YamlReader::path(const char* key) const { return prefix_.empty() ? std::string(key) : prefix_ + "." + key; }

std::string YamlReader::describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      return "'" + n.Scalar() + "'";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

void YamlReader::fail(const YAML::Node& at, const std::string& key_path, const std::string& what) const {
  throw ConfigError(describe_location(source_, at, key_path) + ": " + key_path + ": " + what);
}

void YamlReader::read(const YAML::Node& n, const std::string& key, int64_t& v, const Doc& d) const {
  if (!n.IsScalar()) fail(n, key, "expected an integer, got " + describe(n));
  const std::string& s = n.Scalar();
  errno = 0;
  char* end = nullptr;
  const long long parsed = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0') fail(n, key, "expected an integer, got '" + s + "'");
  if (errno == ERANGE || parsed < d.lo || parsed > d.hi) {
    fail(n, key, "expected an integer " + range_text(d) + ", got " + s);
  }
  v = parsed;
}

void YamlReader::read(const YAML::Node& n, const std::string& key, int& v, const Doc& d) const {
  Doc bounded = d;
  bounded.lo = std::max(d.lo, double(std::numeric_limits<int>::min()));
  bounded.hi = std::min(d.hi, double(std::numeric_limits<int>::max()));
  int64_t wide = 0;
  read(n, key, wide, bounded);
  v = static_cast<int>(wide);
}

void YamlReader::read(const YAML::Node& n, const std::string& key, double& v, const Doc& d) const {
  if (!n.IsScalar()) fail(n, key, "expected a number, got " + describe(n));
  const std::string& s = n.Scalar();
  char* end = nullptr;
  const double parsed = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(parsed)) {
    fail(n, key, "expected a finite number, got '" + s + "'");
  }
  if (parsed < d.lo || parsed > d.hi) {
    fail(n, key, "expected a number " + range_text(d) + ", got " + s);
  }
  v = parsed;
}

void YamlReader::read(const YAML::Node& n, const std::string& key, bool& v, const Doc& /*d*/) const {
  if (!n.IsScalar()) fail(n, key, "expected true or false, got " + describe(n));
  const std::string& s = n.Scalar();
  if (s == "true" || s == "True" || s == "yes" || s == "on") {
    v = true;
  } else if (s == "false" || s == "False" || s == "no" || s == "off") {
    v = false;
  } else {
    fail(n, key, "expected true or false, got '" + s + "'");
  }
}

void YamlReader::read(const YAML::Node& n, const std::string& key, std::string& v, const Doc& d) const {
  if (!n.IsScalar()) fail(n, key, "expected a string, got " + describe(n));
  const std::string& s = n.Scalar();
  if (!d.choices.empty() && std::find(d.choices.begin(), d.choices.end(), s) == d.choices.end()) {
    std::string list;
    for (const auto& c : d.choices) list += (list.empty() ? "" : "|") + c;
    const std::string near = nearest_word(s, d.choices);
    fail(n, key,
         "expected one of " + list + ", got '" + s + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)"));
  }
  v = s;
}

void YamlReader::read(const YAML::Node& n, const std::string& key, std::optional<int64_t>& v, const Doc& d) const {
  if (n.IsScalar() && n.Scalar() == "auto") {
    v.reset();
    return;
  }
  if (!n.IsScalar()) fail(n, key, "expected 'auto' or an integer, got " + describe(n));
  int64_t x = 0;
  read(n, key, x, d);
  v = x;
}

void YamlReader::rest(YAML::Node& out, const YAML::Node& /*docs*/) {
  out = YAML::Node(YAML::NodeType::Map);
  if (!node_.IsMap()) return;
  for (const auto& kv : node_) {
    const std::string k = kv.first.Scalar();
    if (std::find(known_.begin(), known_.end(), k) != known_.end()) continue;
    out[k] = kv.second;
    known_.push_back(k);
  }
}

void YamlReader::finish() const {
  if (!node_.IsMap()) return;
  std::vector<std::pair<std::string, YAML::Mark>> seen;
  for (const auto& kv : node_) {
    const std::string k = kv.first.Scalar();
    // yaml-cpp keeps both entries of a repeated key and lookups see only one: refuse it.
    for (const auto& [name, mark] : seen) {
      if (name == k) {
        fail(kv.first.Mark().line >= 0 ? kv.first : kv.second, path(k.c_str()),
             "key given twice (first at line " + std::to_string(mark.line + 1) + ")");
      }
    }
    seen.emplace_back(k, kv.first.Mark());
    if (std::find(known_.begin(), known_.end(), k) != known_.end()) continue;
    const std::string near = nearest_word(k, known_);
    std::string valid;
    for (const auto& c : known_) valid += (valid.empty() ? "" : ", ") + c;
    // Keys copied into model.options lose their marks; their values keep theirs.
    fail(kv.first.Mark().line >= 0 ? kv.first : kv.second, path(k.c_str()),
         "unknown key" + (near.empty() ? "" : " (did you mean '" + path(near.c_str()) + "'?)") +
             "; valid keys here: " + valid);
  }
}

}  // namespace gen
