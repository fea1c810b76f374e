// Text data as a DataSource: a UTF-8 file tokenized once into one int64 tensor; the last
// val_fraction is held out. A training batch is batch_size random windows of block_size + 1
// tokens (inputs and next-token targets), drawn from a generator seeded by (seed, step).

#include <fmt/format.h>

#include "config/config.h"
#include "core/tokenizer.h"
#include "data/data_options.h"
#include "data/data_source.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/input_file.h"
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
    if (in.size() > kMaxTextBytes) throw DataError(path + ": larger than 2 GiB");
    return in.read(0, in.size());
  } catch (const IoError& e) {
    throw DataError(e.what());
  }
}

class TextSource final : public DataSource {
 public:
  TextSource(const Config& config, torch::Device device)
      : TextSource(config, data_options<TextOptions>(config.data), device) {}

  TextSource(const Config& config, const TextOptions& options, torch::Device device)
      : path_(config.data.root + "/" + options.file),
        batch_size_(config.data.batch_size),
        block_(options.block_size),
        eval_batches_(config.train.eval_batches),
        seed_(static_cast<uint64_t>(config.seed)),
        device_(device) {
    const std::string text = read_text_file(path_);
    if (options.tokenizer == TokenizerKind::kChar) {
      if (const size_t bad = first_invalid_utf8(text); bad != std::string::npos) {
        throw DataError(fmt::format("{}: not UTF-8 text: byte {} (0x{:02X}) does not start a valid UTF-8 character; "
                                    "data.tokenizer char reads UTF-8 (convert with iconv), data.tokenizer byte "
                                    "reads any file",
                                    path_, bad, static_cast<unsigned>(static_cast<uint8_t>(text[bad]))));
      }
    }
    const Tokenizer tok = Tokenizer::build(enum_name(options.tokenizer), text);
    const std::vector<int64_t> ids = tok.encode(text);
    const auto n = static_cast<int64_t>(ids.size());
    const auto n_val = static_cast<int64_t>(double(n) * options.val_fraction);
    if (n - n_val < block_ + 2) {
      throw DataError(path_ + ": " + std::to_string(n - n_val) + " training tokens, fewer than data.block_size + 2 (" +
                      std::to_string(block_ + 2) + ")");
    }
    const torch::Tensor all = torch::tensor(ids, torch::kInt64);
    train_ = all.narrow(0, 0, n - n_val).to(device);
    if (n_val >= block_ + 2) val_ = all.narrow(0, n - n_val, n_val).to(device);
    spec_.text.tokenizer = tok.kind();
    spec_.text.vocabulary = tok.symbols();
    spec_.text.vocab_size = tok.vocab_size();
    spec_.text.block_size = block_;
    spec_.shape.channels = spec_.shape.height = spec_.shape.width = 0;
    offsets_ = torch::arange(block_ + 1, torch::TensorOptions().dtype(torch::kInt64).device(device));
  }

  const DataSpec& spec() const override { return spec_; }

  std::string describe() const override {
    return std::to_string(train_.numel()) + " training + " + std::to_string(val_.defined() ? val_.numel() : 0) +
           " validation tokens (" + spec_.text.tokenizer + " tokenizer, vocabulary " +
           std::to_string(spec_.text.vocab_size) + ") from " + path_;
  }

  Batch batch_at(int64_t step) override {
    return windows(train_, seed_ * 0x9E3779B97F4A7C15ULL + uint64_t(step), batch_size_);
  }

  int64_t eval_batch_count(EvalSplit split) override {
    const torch::Tensor& t = split == EvalSplit::kVal ? val_ : train_;
    if (!t.defined()) return 0;
    if (eval_batches_ > 0) return eval_batches_;
    // 0 = the whole split: consecutive non-overlapping windows, so every token after the first
    // is predicted exactly once; the tokens a whole window does not cover form a last, shorter one.
    const int64_t windows_total = (t.numel() - 1) / block_;
    const bool tail = (t.numel() - 1) % block_ != 0;
    return (windows_total + batch_size_ - 1) / batch_size_ + (tail ? 1 : 0);
  }

  Batch eval_batch(EvalSplit split, int64_t index) override {
    const torch::Tensor& t = split == EvalSplit::kVal ? val_ : train_;
    if (eval_batches_ > 0) {
      // Random windows, the same every evaluation (seeded by split and index).
      return windows(t, 0xE7A1ULL + (split == EvalSplit::kVal ? 1ULL << 40 : 0) + uint64_t(index), batch_size_);
    }
    const int64_t windows_total = (t.numel() - 1) / block_;
    const int64_t full_batches = (windows_total + batch_size_ - 1) / batch_size_;
    if (index == full_batches) {  // the tail: one window of the remaining tokens
      const int64_t start = windows_total * block_, len = t.numel() - 1 - start;
      return Batch{t.narrow(0, start, len).unsqueeze(0), t.narrow(0, start + 1, len).unsqueeze(0)};
    }
    const int64_t first = index * batch_size_;
    const int64_t count = std::max<int64_t>(0, std::min(batch_size_, windows_total - first));
    const torch::Tensor starts = (torch::arange(first, first + count, torch::kInt64) * block_).to(device_);
    return gather(t, starts);
  }

  Batch examples(int64_t n) override { return windows(val_.defined() ? val_ : train_, 0xE7A2ULL, n); }

 private:
  Batch windows(const torch::Tensor& tokens, uint64_t seed, int64_t count) const {
    auto gen = at::detail::createCPUGenerator(seed);
    const torch::Tensor starts = torch::randint(tokens.numel() - block_ - 1, {count}, gen, torch::kInt64).to(device_);
    return gather(tokens, starts);
  }

  Batch gather(const torch::Tensor& tokens, const torch::Tensor& starts) const {
    const torch::Tensor idx = starts.unsqueeze(1) + offsets_;  // (B, T + 1)
    const torch::Tensor w = tokens.index_select(0, idx.flatten()).view(idx.sizes());
    return Batch{w.narrow(1, 0, block_), w.narrow(1, 1, block_)};  // inputs (B, T), targets (B, T)
  }

  std::string path_;
  int64_t batch_size_, block_, eval_batches_;
  uint64_t seed_;
  torch::Device device_;
  torch::Tensor train_, val_, offsets_;
  DataSpec spec_;
};

}  // namespace

std::unique_ptr<DataSource> open_text_source(const Config& config, torch::Device device) {
  return std::make_unique<TextSource>(config, device);
}

}  // namespace gen
