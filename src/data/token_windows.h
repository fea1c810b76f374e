// The batches of a language model's data, whatever holds its tokens (a text tokenized in
// memory, a memory-mapped token file): a training batch is batch_size random windows of
// block_size + 1 tokens (inputs and next-token targets), their starts drawn from a generator
// seeded by (seed, step); evaluation reads fixed random windows (train.eval_batches > 0) or
// the whole split in consecutive windows (0).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

#include "core/batch.h"
#include "core/tokenizer.h"
#include "data/data_source.h"

namespace gen {

// A sequence of token ids.
class TokenSequence {
 public:
  virtual ~TokenSequence() = default;
  virtual int64_t size() const = 0;
  // Ids [start, start + n) into out.
  virtual void read(int64_t start, int64_t n, int64_t* out) const = 0;
  // Names the sequence in errors ("data/x/train.bin").
  virtual std::string name() const = 0;
};

struct WindowOptions {
  int64_t batch_size = 0, block_size = 0, eval_batches = 0;
  uint64_t seed = 0;
  int64_t vocab_size = 0;  // ids at or above it are refused (DataError naming the file and position)
};

class TokenWindows {
 public:
  TokenWindows(const WindowOptions& options, torch::Device device) : o_(options), device_(device) {}

  Batch train_batch(const TokenSequence& train, int64_t step) const;
  int64_t eval_batch_count(const TokenSequence* tokens) const;  // null: the split is absent
  Batch eval_batch(const TokenSequence& tokens, EvalSplit split, int64_t index) const;
  Batch examples(const TokenSequence& tokens, int64_t n) const;

 private:
  Batch random_windows(const TokenSequence& tokens, uint64_t seed, int64_t count) const;
  // Windows of `len` + 1 tokens from each start: inputs (B, len), targets (B, len).
  Batch read_windows(const TokenSequence& tokens, const std::vector<int64_t>& starts, int64_t len) const;

  WindowOptions o_;
  torch::Device device_;
};

// The DataSource of a language model's data: its training tokens, optionally held-out tokens,
// the tokenizer they are ids of, batches as TokenWindows draws them. `origin` ends describe():
// "from data/x.txt".
std::unique_ptr<DataSource> token_data_source(std::unique_ptr<TokenSequence> train, std::unique_ptr<TokenSequence> val,
                                              const Tokenizer& tokenizer, const Config& config, int64_t block_size,
                                              torch::Device device, const std::string& origin);

}  // namespace gen
