// Checks that stopping and resuming a config changes nothing: trains N steps straight, and N/2
// steps then a resume to N, in a temporary folder, and compares the logged losses of every
// step and a seeded sample from the final weights.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"

namespace gen {

struct ResumeCheck {
  bool losses_equal = false;
  bool samples_equal = false;
  int64_t steps_compared = 0;
  std::string first_difference;  // "step 7: {...} vs {...}", when losses differ
  bool ok() const { return losses_equal && samples_equal; }
};

// `config` resolved; its out_dir and name are replaced by a temporary folder, removed after.
ResumeCheck verify_resume(const Config& config, int64_t steps);

// The same check with each run a data-parallel job of `nproc` local ranks (gen train
// --nproc-per-node), from the config `file` with the user's `overrides` (`config`: both resolved).
ResumeCheck verify_resume_ranks(const Config& config, const std::string& file, const std::vector<std::string>& overrides,
                                int64_t steps, int64_t nproc);

}  // namespace gen
