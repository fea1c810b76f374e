// Where training and evaluation batches come from, whatever the data kind. The training batch
// for a step is a pure function of (seed, step), so a resumed run sees exactly the data it
// would have seen; evaluation batches are fixed per (split, index).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "config/field.h"
#include "core/batch.h"
#include "core/data_spec.h"

namespace gen {

struct Config;

// The two splits evaluation reads: the training data, and the held-out data (the other IDX
// split, e.g. MNIST's t10k; the last data.val_fraction of a text). Their names prefix the
// figures measured on them (train_loss, val_loss).
enum class EvalSplit { kTrain, kVal };
template <>
struct EnumNames<EvalSplit> {
  static constexpr std::array<std::string_view, 2> names{"train", "val"};
};

class DataSource {
 public:
  virtual ~DataSource() = default;

  virtual const DataSpec& spec() const = 0;
  virtual std::string describe() const = 0;

  virtual Batch batch_at(int64_t step) = 0;

  // Evaluation batches of a split; eval_batch_count(split) = 0 means the split is not available.
  virtual int64_t eval_batch_count(EvalSplit split) = 0;
  virtual Batch eval_batch(EvalSplit split, int64_t index) = 0;

  // The first n examples of the evaluation data (reconstructions, interpolations).
  virtual Batch examples(int64_t n) = 0;
};

// Opens config.data on `device`. Throws DataError / ConfigError.
std::unique_ptr<DataSource> open_data_source(const Config& config, torch::Device device);

}  // namespace gen
