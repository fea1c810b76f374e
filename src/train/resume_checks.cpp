#include "train/resume_checks.h"

#include <spdlog/spdlog.h>

#include "config/diff.h"
#include "util/errors.h"

namespace gen {

void check_resume_config(const Config& saved, const Config& now, const std::string& path, bool force) {
  std::string refused;
  for (const auto& c : config_differences(saved, now)) {
    const bool ok = change_allowed_on_resume(c.key);
    spdlog::info("config change since {}: {}: {} -> {}{}", path, c.key, c.before, c.after,
                 ok ? "" : (force ? " (forced)" : " (not allowed)"));
    if (!ok) refused += (refused.empty() ? "" : ", ") + c.key;
  }
  if (!refused.empty() && !force) {
    throw ConfigError(path + ": cannot resume: changed keys alter the model or data: " + refused +
                      " (restore them, start a new run, or pass --force)");
  }
}

namespace {

// "vocabulary: 40 symbols -> 41 symbols, the first difference at symbol 3 ('c' -> 'd')"
std::string vocabulary_difference(const TextVocab& a, const TextVocab& b) {
  size_t i = 0;
  while (i < a.vocabulary.size() && i < b.vocabulary.size() && a.vocabulary[i] == b.vocabulary[i]) ++i;
  auto at = [i](const std::string& v) { return i < v.size() ? "'" + v.substr(i, 1) + "'" : std::string("none"); };
  return fmt::format("vocabulary: {} symbols -> {} symbols, the first difference at byte {} ({} -> {})", a.vocab_size,
                     b.vocab_size, i, at(a.vocabulary), at(b.vocabulary));
}

template <class T>
void add_difference(std::string& out, const char* what, const T& before, const T& after) {
  if (before != after) out += fmt::format("{}{}: {} -> {}", out.empty() ? "" : "; ", what, before, after);
}

}  // namespace

void check_resume_data(const DataSpec& saved, const DataSpec& now, const std::string& path) {
  std::string d;
  add_difference(d, "kind", std::string(saved.is_text() ? "text" : "images"),
                 std::string(now.is_text() ? "text" : "images"));
  if (d.empty() && now.is_text()) {
    add_difference(d, "tokenizer", saved.text.tokenizer, now.text.tokenizer);
    if (saved.text.vocabulary != now.text.vocabulary || saved.text.vocab_size != now.text.vocab_size) {
      d += (d.empty() ? "" : "; ") + vocabulary_difference(saved.text, now.text);
    }
  } else if (d.empty()) {
    add_difference(d, "channels", saved.shape.channels, now.shape.channels);
    add_difference(d, "height", saved.shape.height, now.shape.height);
    add_difference(d, "width", saved.shape.width, now.shape.width);
    add_difference(d, "classes", saved.shape.num_classes, now.shape.num_classes);
  }
  if (!d.empty()) {
    throw DataError(path + ": cannot resume: the data differs from the data it was trained on (" + d +
                    "); start a new run for this data");
  }
}

}  // namespace gen
