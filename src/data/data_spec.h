// What a model needs to know about its data, fixed once the data is loaded and stored in
// every checkpoint so `gen sample` can rebuild the model without the data.
#pragma once

#include <cstdint>

namespace gen {

struct DataSpec {
  int64_t channels = 1;
  int64_t height = 0;
  int64_t width = 0;
  int64_t num_classes = 0;  // 0 = unlabelled
};

}  // namespace gen
