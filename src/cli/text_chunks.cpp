#include "cli/text_chunks.h"

#include <memory>

#include "util/errors.h"
#include "util/input_file.h"

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

}  // namespace gen
