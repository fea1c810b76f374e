// Token files as a DataSource (data.kind tokens): train_file and val_file memory-mapped
// (io/token_file.h), batches drawn from them as from a text (data/token_windows.h), so the
// (seed, step) determinism and resume hold, and only the windows read are ever in memory.

#include "config/config.h"
#include "core/tokenizer.h"
#include "data/data_options.h"
#include "data/data_source.h"
#include "data/token_windows.h"
#include "data/tokenizer_files.h"
#include "io/token_file.h"
#include "util/errors.h"
#include "util/fs.h"

namespace gen {

namespace {

class MappedTokens final : public TokenSequence {
 public:
  explicit MappedTokens(const std::string& path) : file_(path) {}
  int64_t size() const override { return static_cast<int64_t>(file_.size()); }
  void read(int64_t start, int64_t n, int64_t* out) const override { file_.read(uint64_t(start), uint64_t(n), out); }
  std::string name() const override { return file_.path(); }
  const TokenFile& file() const { return file_; }

 private:
  TokenFile file_;
};

}  // namespace

std::unique_ptr<DataSource> open_token_source(const Config& config, torch::Device device) {
  const TokensOptions options = data_options<TokensOptions>(config.data);
  const Tokenizer tok = config_tokenizer(options.tokenizer, options.tokenizer_file, "");
  const std::string how =
      options.tokenizer == TokenizerKind::kFile ? "data.tokenizer_file " + options.tokenizer_file : "data.tokenizer byte";
  const int64_t block = options.block_size;
  const auto open = [&](const std::string& key, const std::string& file) {
    const std::string path = config.data.root + "/" + file;
    if (!target_exists(path)) throw DataError("data." + key + " " + path + ": no such file (write it with gen tokenize)");
    auto tokens = std::make_unique<MappedTokens>(path);
    check_token_file_tokenizer(tokens->file(), tok, how);
    if (tokens->size() < block + 2) {
      throw DataError(path + ": " + std::to_string(tokens->size()) + " tokens, fewer than data.block_size + 2 (" +
                      std::to_string(block + 2) + ")");
    }
    return tokens;
  };
  std::unique_ptr<MappedTokens> train = open("train_file", options.train_file);
  std::unique_ptr<MappedTokens> val = options.val_file.empty() ? nullptr : open("val_file", options.val_file);
  const std::string origin =
      "memory-mapped from " + train->name() + (val ? " and " + val->name() : std::string());
  return token_data_source(std::move(train), std::move(val), tok, config, block, device, origin);
}

}  // namespace gen
