#include "data/token_windows.h"

#include <fmt/format.h>

#include "config/config.h"
#include "util/errors.h"

namespace gen {

Batch TokenWindows::train_batch(const TokenSequence& train, int64_t step) const {
  return random_windows(train, o_.seed * 0x9E3779B97F4A7C15ULL + uint64_t(step), o_.batch_size);
}

int64_t TokenWindows::eval_batch_count(const TokenSequence* tokens) const {
  if (!tokens) return 0;
  if (o_.eval_batches > 0) return o_.eval_batches;
  // 0 = the whole split: consecutive non-overlapping windows, so every token after the first
  // is predicted exactly once; the tokens a whole window does not cover form a last, shorter one.
  const int64_t windows_total = (tokens->size() - 1) / o_.block_size;
  const bool tail = (tokens->size() - 1) % o_.block_size != 0;
  return (windows_total + o_.batch_size - 1) / o_.batch_size + (tail ? 1 : 0);
}

Batch TokenWindows::eval_batch(const TokenSequence& tokens, EvalSplit split, int64_t index) const {
  if (o_.eval_batches > 0) {
    // Random windows, the same every evaluation (seeded by split and index).
    return random_windows(tokens, 0xE7A1ULL + (split == EvalSplit::kVal ? 1ULL << 40 : 0) + uint64_t(index),
                          o_.batch_size);
  }
  const int64_t block = o_.block_size;
  const int64_t windows_total = (tokens.size() - 1) / block;
  const int64_t full_batches = (windows_total + o_.batch_size - 1) / o_.batch_size;
  if (index == full_batches) {  // the tail: one window of the remaining tokens
    const int64_t start = windows_total * block;
    return read_windows(tokens, {start}, tokens.size() - 1 - start);
  }
  const int64_t first = index * o_.batch_size;
  const int64_t count = std::max<int64_t>(0, std::min(o_.batch_size, windows_total - first));
  std::vector<int64_t> starts;
  for (int64_t i = first; i < first + count; ++i) starts.push_back(i * block);
  return read_windows(tokens, starts, block);
}

Batch TokenWindows::examples(const TokenSequence& tokens, int64_t n) const {
  return random_windows(tokens, 0xE7A2ULL, n);
}

Batch TokenWindows::random_windows(const TokenSequence& tokens, uint64_t seed, int64_t count) const {
  auto gen = at::detail::createCPUGenerator(seed);
  const torch::Tensor drawn = torch::randint(tokens.size() - o_.block_size - 1, {count}, gen, torch::kInt64);
  const auto* p = drawn.data_ptr<int64_t>();
  return read_windows(tokens, std::vector<int64_t>(p, p + count), o_.block_size);
}

Batch TokenWindows::read_windows(const TokenSequence& tokens, const std::vector<int64_t>& starts, int64_t len) const {
  const auto b = static_cast<int64_t>(starts.size());
  // Gathered on the CPU (a token file is memory-mapped there). For a GPU the rows go to
  // page-locked memory and are copied without waiting, so the step does not stall on it.
  const bool pinned = device_.is_cuda();
  torch::Tensor w = torch::empty({b, len + 1}, torch::TensorOptions().dtype(torch::kInt64).pinned_memory(pinned));
  int64_t* out = w.data_ptr<int64_t>();
  for (int64_t i = 0; i < b; ++i) {
    int64_t* row = out + i * (len + 1);
    tokens.read(starts[size_t(i)], len + 1, row);
    for (int64_t k = 0; k <= len; ++k) {
      if (row[k] < 0 || row[k] >= o_.vocab_size) {
        throw DataError(fmt::format("{}: token {} is id {}, outside the tokenizer's vocabulary of {}", tokens.name(),
                                    starts[size_t(i)] + k, row[k], o_.vocab_size));
      }
    }
  }
  w = w.to(device_, torch::kInt64, /*non_blocking=*/pinned);
  return Batch{w.narrow(1, 0, len), w.narrow(1, 1, len)};
}

namespace {

class TokenDataSource final : public DataSource {
 public:
  TokenDataSource(std::unique_ptr<TokenSequence> train, std::unique_ptr<TokenSequence> val, const Tokenizer& tok,
                  const Config& config, int64_t block, torch::Device device, std::string origin)
      : train_(std::move(train)),
        val_(std::move(val)),
        windows_(WindowOptions{config.data.batch_size, block, config.train.eval_batches,
                               static_cast<uint64_t>(config.seed), tok.vocab_size()},
                 device),
        origin_(std::move(origin)) {
    spec_.text.tokenizer = tok.kind();
    spec_.text.vocabulary = tok.symbols();
    spec_.text.vocab_size = tok.vocab_size();
    spec_.text.block_size = block;
    spec_.shape.channels = spec_.shape.height = spec_.shape.width = 0;
  }

  const DataSpec& spec() const override { return spec_; }
  std::string describe() const override {
    return std::to_string(train_->size()) + " training + " + std::to_string(val_ ? val_->size() : 0) +
           " validation tokens (" + spec_.text.tokenizer + " tokenizer, vocabulary " +
           std::to_string(spec_.text.vocab_size) + ") " + origin_;
  }
  Batch batch_at(int64_t step) override { return windows_.train_batch(*train_, step); }
  int64_t eval_batch_count(EvalSplit split) override {
    return windows_.eval_batch_count(split == EvalSplit::kVal ? val_.get() : train_.get());
  }
  Batch eval_batch(EvalSplit split, int64_t index) override {
    return windows_.eval_batch(split == EvalSplit::kVal ? *val_ : *train_, split, index);
  }
  Batch examples(int64_t n) override { return windows_.examples(val_ ? *val_ : *train_, n); }

 private:
  std::unique_ptr<TokenSequence> train_, val_;
  TokenWindows windows_;
  std::string origin_;
  DataSpec spec_;
};

}  // namespace

std::unique_ptr<DataSource> token_data_source(std::unique_ptr<TokenSequence> train, std::unique_ptr<TokenSequence> val,
                                              const Tokenizer& tokenizer, const Config& config, int64_t block_size,
                                              torch::Device device, const std::string& origin) {
  return std::make_unique<TokenDataSource>(std::move(train), std::move(val), tokenizer, config, block_size, device,
                                           origin);
}

}  // namespace gen
