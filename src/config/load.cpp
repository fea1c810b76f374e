#include <cstdio>
#include <sstream>

#include "config/config.h"
#include "config/yaml_reader.h"
#include "config/yaml_writer.h"
#include "util/device_spec.h"
#include "util/errors.h"
#include "util/input_file.h"

namespace gen {

namespace {

constexpr double kMaxBatchGiB = 16.0;

std::string fmt_gib(double gib) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", gib);
  return buf;
}

std::string file_stem(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = base.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

// Far above any experiment file (the largest in configs/ is a few KiB), far below what makes
// yaml-cpp's node tree (about 100 bytes of memory per byte of YAML) a danger to the machine.
constexpr size_t kMaxConfigBytes = size_t(1) << 20;

std::string too_large(const std::string& origin) {
  return origin + ": larger than " + std::to_string(kMaxConfigBytes >> 10) + " KiB; a config file is at most that";
}

YAML::Node parse_yaml(const std::string& text, const std::string& origin) {
  if (text.size() > kMaxConfigBytes) throw ConfigError(too_large(origin));
  try {
    YAML::Node root = YAML::Load(text);
    if (root.IsNull()) return YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) throw ConfigError(origin + ": expected a mapping of keys at the top level");
    return root;
  } catch (const YAML::Exception& e) {
    std::string where = origin;
    if (e.mark.line >= 0) {
      where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    }
    throw ConfigError(where + ": YAML syntax error: " + e.msg);
  }
}

// Applies one "a.b.c=value" to the tree; the value is parsed as YAML so lists work too.
void apply_override(YAML::Node& root, const std::string& flag, ConfigSource& source) {
  const std::string shown = "--set " + flag;
  const size_t eq = flag.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError(shown + ": expected KEY=VALUE, e.g. --set train.steps=100");
  }
  const std::string key = flag.substr(0, eq);
  std::vector<std::string> parts;
  std::stringstream ss(key);
  for (std::string part; std::getline(ss, part, '.');) {
    if (part.empty()) throw ConfigError(shown + ": empty part in key '" + key + "'");
    parts.push_back(part);
  }
  YAML::Node value;
  try {
    value = YAML::Load(flag.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw ConfigError(shown + ": value is not valid YAML: " + e.msg);
  }
  YAML::Node cur = root;
  std::string walked;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    walked += (walked.empty() ? "" : ".") + parts[i];
    YAML::Node next = cur[parts[i]];
    if (!next.IsDefined() || next.IsNull()) {
      cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = cur[parts[i]];
    } else if (!next.IsMap()) {
      throw ConfigError(shown + ": '" + walked + "' is a value, not a section");
    }
    cur.reset(next);
  }
  cur[parts.back()] = value;
  source.overrides.emplace_back(key, shown);
}

Config read_config(YAML::Node root, ConfigSource source, const std::string& default_name) {
  Config config;
  config.source = std::move(source);
  YamlReader reader(root, "", &config.source);
  config.visit(reader);
  reader.finish();

  const YAML::Node& croot = root;
  // The node to point at in an error: the key if present, else its section, else none.
  auto locate = [&](const char* section, const char* key) -> YAML::Node {
    const YAML::Node sec = croot[section];
    if (!sec.IsDefined()) return YAML::Node();
    if (!key[0] || !sec.IsMap()) return sec;
    const YAML::Node k = sec[key];
    return k.IsDefined() ? k : sec;
  };
  auto fail = [&](const char* section, const char* key, const std::string& what) {
    const std::string path = key[0] ? std::string(section) + "." + key : section;
    throw ConfigError(describe_location(&config.source, locate(section, key), path) + ": " + path + ": " + what);
  };
  if (config.name.empty()) config.name = default_name;
  if (config.name.find('/') != std::string::npos || config.name == "." || config.name == "..") {
    fail("name", "", "expected a plain folder name without '/', got '" + config.name + "'");
  }
  if (!is_device_spec(config.device)) {
    fail("device", "", "expected auto, cpu, cuda or cuda:N, got '" + config.device + "'");
  }
  if (config.out_dir.empty()) {
    fail("out_dir", "", "expected a folder (\"\" would put run folders at the filesystem root; \".\" is here)");
  }
  if (config.optim.betas.size() != 2) {
    fail("optim", "betas", "expected two numbers [beta1, beta2]");
  }
  if (config.data.batch_size % config.train.accumulate != 0) {
    fail("train", "accumulate",
         "must divide data.batch_size (" + std::to_string(config.data.batch_size) + ") into equal micro-batches, got " +
             std::to_string(config.train.accumulate));
  }
  // The biggest tensor a config asks for up front: one float batch of images (counted with 3
  // channels, the most any image kind has). Refused before any data is read when it could not
  // fit in any machine gen runs on.
  const double side = double(config.data.image_size > 0 ? config.data.image_size : 28);
  const double batch_gib = double(config.data.batch_size) * side * side * 3.0 * 4.0 / double(1ULL << 30);
  if (batch_gib > kMaxBatchGiB) {
    fail("data", "batch_size",
         fmt_gib(batch_gib) +
             " GiB per batch of float images (data.batch_size x data.image_size^2 x 3 channels x 4 bytes); the "
             "limit is " +
             fmt_gib(kMaxBatchGiB) + " GiB");
  }
  if (!config.train.keep_best.empty() && config.train.eval_every == 0) {
    fail("train", "keep_best", "needs train.eval_every > 0 (the best checkpoint is chosen at evaluations)");
  }
  if (config.optim.schedule == Schedule::kCosine && config.optim.min_lr > config.optim.lr) {
    fail("optim", "min_lr", "must not exceed optim.lr");
  }
  if (config.model.kind.empty()) fail("model", "kind", "missing: every config names a model.kind");
  return config;
}

}  // namespace

Config load_config(const std::string& file, const std::vector<std::string>& overrides) {
  std::string text;
  try {
    const InputFile in(file);
    if (in.size() > kMaxConfigBytes) throw ConfigError(too_large(file));
    text = in.read(0, in.size());
  } catch (const IoError& e) {
    throw ConfigError(std::string(e.what()) + " (expected a YAML config file)");
  }
  YAML::Node root = parse_yaml(text, file);
  ConfigSource source{file, {}};
  for (const auto& flag : overrides) apply_override(root, flag, source);
  return read_config(root, std::move(source), file_stem(file));
}

Config parse_config(const std::string& yaml_text, const std::string& origin) {
  return read_config(parse_yaml(yaml_text, origin), ConfigSource{origin, {}}, "run");
}

std::string config_to_yaml(const Config& config, bool comments) {
  Config copy = config;
  YAML::Emitter out;
  out << YAML::BeginMap;
  YamlWriter writer(out, comments);
  copy.visit(writer);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::vector<std::string> config_key_lines() {
  Config defaults;
  KeyLister lister;
  defaults.visit(lister);
  return lister.lines();
}

}  // namespace gen
