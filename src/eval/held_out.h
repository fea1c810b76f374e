// The family's own held-out metrics (GenerativeModel::evaluate) averaged over a split.
#pragma once

#include <string>

#include "data/data_source.h"
#include "io/metrics_log.h"

namespace gen {

class DataSource;
class GenerativeModel;

// Mean of each metric over the batches data.eval_batch(split, i) (the first `max_batches`;
// 0 = all), weighted by what each batch holds (images, or target tokens for text), named
// "<split>_<metric>". Empty when the split is missing or the family evaluates nothing.
MetricValues held_out_means(DataSource& data, GenerativeModel& model, EvalSplit split,
                            int64_t max_batches = 0);

}  // namespace gen
