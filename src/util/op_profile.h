// Where a step's time goes, op by op: while an OpProfile exists, every ATen op and autograd
// node that runs on this thread is timed through LibTorch's RecordFunction observers (the same
// hook as util/flop_counter, so it works alike on LibTorch 1.13 and 2.x, with or without
// Kineto). An op's self time is its own time less that of the ops it called (aten::linear's
// addmm is the addmm's, not the linear's), so self times add up to the time spent inside ops.
// Each op is filed under the phase it ran in: the forward pass (gradients on), the backward
// pass (inside an autograd node) or no-grad (the optimizer's update, EMA, a GAN's fakes).
// Times are the host's: on a CUDA device they are launch times, not kernel times.
#pragma once

#include <ATen/record_function.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gen {

enum class OpPhase { kForward, kBackward, kNoGrad };
const char* op_phase_name(OpPhase phase);

struct OpTime {
  std::string name;  // "aten::mm", or an autograd node ("MmBackward0")
  OpPhase phase = OpPhase::kForward;
  int64_t calls = 0;
  double self_ms = 0;   // inside this op, not inside the ops it called
  double total_ms = 0;  // inside this op, its callees included
};

struct OpTimes {
  std::vector<OpTime> ops;  // by self time, the largest first
  double inside_ms = 0;     // time inside outermost ops: the sum of every op's self time

  double self_ms(OpPhase phase) const;  // the self time of the ops of one phase
};

class OpProfile {
 public:
  OpProfile();
  ~OpProfile();
  OpProfile(const OpProfile&) = delete;
  OpProfile& operator=(const OpProfile&) = delete;

  OpTimes times() const;

 private:
  at::CallbackHandle handle_;
};

}  // namespace gen
