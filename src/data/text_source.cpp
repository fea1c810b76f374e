// Text data as a DataSource: a UTF-8 file tokenized once into memory; the last val_fraction
// is held out. Batches: data/token_windows.h.

#include <fmt/format.h>

#include "config/config.h"
#include "core/tokenizer.h"
#include "data/data_options.h"
#include "data/data_source.h"
#include "data/token_windows.h"
#include "data/tokenizer_files.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/input_file.h"
#include "util/memory.h"
#include "util/utf8.h"

namespace gen {

namespace {

constexpr uint64_t kMaxTextBytes = uint64_t(1) << 31;

std::string read_text_file(const std::string& path) {
  if (!target_exists(path)) {
    throw DataError(path + ": cannot open text file (run " + get_data_command("shakespeare") +
                    ", or set data.root/data.file)");
  }
  try {
    const InputFile in(path);
    const std::string instead = " (write it as a token file, memory-mapped: gen tokenize, data.kind tokens)";
    if (in.size() > kMaxTextBytes) throw DataError(path + ": larger than 2 GiB" + instead);
    // The text, and its ids as int64 (at most one per byte) while it is tokenized.
    if (const std::string short_of = memory_shortfall(in.size() * 9); !short_of.empty()) {
      throw DataError(path + ": " + format_bytes(in.size()) + " of text; to tokenize it in memory gen would " + short_of +
                      instead);
    }
    return in.read(0, in.size());
  } catch (const IoError& e) {
    throw DataError(e.what());
  }
}

// Ids held in memory.
class InMemoryTokens final : public TokenSequence {
 public:
  InMemoryTokens(std::vector<int64_t> ids, std::string name) : ids_(std::move(ids)), name_(std::move(name)) {}
  int64_t size() const override { return static_cast<int64_t>(ids_.size()); }
  void read(int64_t start, int64_t n, int64_t* out) const override {
    std::copy(ids_.begin() + start, ids_.begin() + start + n, out);
  }
  std::string name() const override { return name_; }

 private:
  std::vector<int64_t> ids_;
  std::string name_;
};

}  // namespace

std::unique_ptr<DataSource> open_text_source(const Config& config, torch::Device device) {
  const TextOptions options = data_options<TextOptions>(config.data);
  const std::string path = config.data.root + "/" + options.file;
  const std::string text = read_text_file(path);
  if (options.tokenizer == TokenizerKind::kChar) {
    if (const size_t bad = first_invalid_utf8(text); bad != std::string::npos) {
      throw DataError(fmt::format("{}: not UTF-8 text: byte {} (0x{:02X}) does not start a valid UTF-8 character; "
                                  "data.tokenizer char reads UTF-8 (convert with iconv), data.tokenizer byte "
                                  "reads any file",
                                  path, bad, static_cast<unsigned>(static_cast<uint8_t>(text[bad]))));
    }
  }
  const Tokenizer tok = config_tokenizer(options.tokenizer, options.tokenizer_file, text);
  std::vector<int64_t> ids = tok.encode(text);
  const auto n = static_cast<int64_t>(ids.size());
  const auto n_val = static_cast<int64_t>(double(n) * options.val_fraction);
  const int64_t block = options.block_size;
  if (n - n_val < block + 2) {
    throw DataError(path + ": " + std::to_string(n - n_val) + " training tokens, fewer than data.block_size + 2 (" +
                    std::to_string(block + 2) + ")");
  }
  std::unique_ptr<TokenSequence> val;
  if (n_val >= block + 2) {
    val = std::make_unique<InMemoryTokens>(std::vector<int64_t>(ids.begin() + (n - n_val), ids.end()),
                                           path + " (held-out end)");
  }
  ids.resize(size_t(n - n_val));
  return token_data_source(std::make_unique<InMemoryTokens>(std::move(ids), path), std::move(val), tok, config, block,
                           device, "from " + path);
}

}  // namespace gen
