#include "cli/text_chunks.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "util/errors.h"
#include "util/input_file.h"
#include "util/progress_line.h"
#include "util/stopwatch.h"

namespace gen {

void for_each_text_chunk(const std::vector<std::string>& files, const std::function<size_t(std::string_view)>& cut,
                         const std::function<void(size_t, std::string_view, const TextProgress&)>& f,
                         uint64_t chunk_bytes) {
  std::vector<std::unique_ptr<InputFile>> opened;
  TextProgress progress;
  try {
    for (const std::string& path : files) {
      opened.push_back(std::make_unique<InputFile>(path));
      progress.bytes_total += opened.back()->size();
    }
    for (size_t i = 0; i < opened.size(); ++i) {
      const InputFile& in = *opened[i];
      std::string pending;
      for (uint64_t offset = 0; offset < in.size();) {
        const uint64_t n = std::min(chunk_bytes, in.size() - offset);
        pending += in.read(offset, n);
        offset += n;
        progress.bytes_done += n;
        if (offset == in.size()) break;
        const size_t at = cut(pending);
        if (at == 0) continue;  // no place to cut yet: read on
        f(i, std::string_view(pending).substr(0, at), progress);
        pending.erase(0, at);
      }
      if (!pending.empty()) f(i, pending, progress);
    }
  } catch (const IoError& e) {
    throw DataError(e.what());
  }
}

struct TextPassProgress::State {
  std::string what;
  Stopwatch t0, last_log;
  std::unique_ptr<ProgressLine> line;  // sized by the first update, which knows the total
};

TextPassProgress::TextPassProgress(std::string what) : s_(std::make_unique<State>()) { s_->what = std::move(what); }

TextPassProgress::~TextPassProgress() = default;

void TextPassProgress::update(const TextProgress& p) {
  if (!s_->line) s_->line = std::make_unique<ProgressLine>(0, int64_t(p.bytes_total >> 20) + 1, ProgressLine::wanted());
  s_->line->update(int64_t(p.bytes_done >> 20));
  if (s_->last_log.seconds() > 10) {
    s_->last_log.restart();
    spdlog::info("{}: {:.0f} of {:.0f} MB ({:.1f} MB/s)", s_->what, p.bytes_done / 1e6, p.bytes_total / 1e6,
                 p.bytes_done / 1e6 / s_->t0.seconds());
  }
}

void TextPassProgress::finish() {
  if (s_->line) s_->line->finish();
}

}  // namespace gen
