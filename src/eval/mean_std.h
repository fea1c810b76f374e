// Mean and sample standard deviation of figures measured over subsets or splits.
#pragma once

#include <cmath>
#include <vector>

namespace gen {

struct MeanStd {
  double mean = 0;
  double std = 0;  // 0 for a single value
};

inline MeanStd mean_std(const std::vector<double>& values) {
  MeanStd r;
  if (values.empty()) return r;
  for (double v : values) r.mean += v;
  r.mean /= double(values.size());
  for (double v : values) r.std += (v - r.mean) * (v - r.mean);
  r.std = values.size() > 1 ? std::sqrt(r.std / double(values.size() - 1)) : 0.0;
  return r;
}

}  // namespace gen
