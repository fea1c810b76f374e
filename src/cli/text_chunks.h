// Reads text files in pieces of about 16 MiB, each cut where the text can be split without
// changing how it tokenizes (`cut` says where), so that tokenizing or counting a corpus larger
// than memory gives what doing it on the whole text would.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gen {

struct TextProgress {
  uint64_t bytes_done = 0, bytes_total = 0;
};

// cut(text): the largest offset in (0, size] after which TEXT may be split, or 0 for none
// (the next read is appended). f(file_index, chunk, progress). Throws DataError for a file
// that cannot be read (naming it).
void for_each_text_chunk(const std::vector<std::string>& files,
                         const std::function<size_t(std::string_view)>& cut,
                         const std::function<void(size_t, std::string_view, const TextProgress&)>& f,
                         uint64_t chunk_bytes = uint64_t(16) << 20);

// How a pass over text files is going: a progress line in MB on a terminal, and a log line
// "WHAT: 120 of 512 MB (25.3 MB/s)" every 10 s.
class TextPassProgress {
 public:
  explicit TextPassProgress(std::string what);
  ~TextPassProgress();
  void update(const TextProgress& p);
  void finish();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace gen
