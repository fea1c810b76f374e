#include "util/op_profile.h"

#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <utility>

namespace gen {

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One open op: the observers nest them as the ops nest on this thread.
struct Frame : at::ObserverContext {
  std::string name;
  OpPhase phase = OpPhase::kForward;
  bool backward_node = false;
  int64_t start_ns = 0;
  int64_t callees_ns = 0;   // time inside the ops this one called
  Frame* caller = nullptr;  // the op that called this one, or null for an outermost op
};

struct Totals {
  int64_t calls = 0;
  int64_t self_ns = 0;
  int64_t total_ns = 0;
};

struct ProfileState {
  bool active = false;
  int backward_depth = 0;  // inside an autograd node
  Frame* open = nullptr;   // the innermost op running
  int64_t inside_ns = 0;
  std::map<std::pair<std::string, OpPhase>, Totals> ops;
};

thread_local ProfileState profile_state;

std::unique_ptr<at::ObserverContext> profile_start(const at::RecordFunction& fn) {
  auto frame = std::make_unique<Frame>();
  frame->name = fn.name();
  // The engine's own records ("autograd::engine::evaluate_function: ...") run outside the
  // node's scope but belong to the backward pass as much as the node does.
  frame->backward_node = fn.scope() == at::RecordScope::BACKWARD_FUNCTION;
  if (frame->backward_node || profile_state.backward_depth > 0 || frame->name.rfind("autograd::", 0) == 0) {
    frame->phase = OpPhase::kBackward;
  } else {
    frame->phase = c10::GradMode::is_enabled() ? OpPhase::kForward : OpPhase::kNoGrad;
  }
  if (frame->backward_node) ++profile_state.backward_depth;
  frame->caller = profile_state.open;
  profile_state.open = frame.get();
  frame->start_ns = now_ns();
  return frame;
}

void profile_end(const at::RecordFunction& /*fn*/, at::ObserverContext* ctx) {
  const int64_t end = now_ns();
  auto* frame = static_cast<Frame*>(ctx);  // profile_start's, never null
  const int64_t took = end - frame->start_ns;
  if (frame->backward_node) --profile_state.backward_depth;
  profile_state.open = frame->caller;
  if (frame->caller != nullptr) {
    frame->caller->callees_ns += took;
  } else {
    profile_state.inside_ns += took;
  }
  Totals& t = profile_state.ops[{frame->name, frame->phase}];
  ++t.calls;
  t.self_ns += took - frame->callees_ns;
  t.total_ns += took;
}

}  // namespace

const char* op_phase_name(OpPhase phase) {
  switch (phase) {
    case OpPhase::kForward:
      return "forward";
    case OpPhase::kBackward:
      return "backward";
    case OpPhase::kNoGrad:
      return "no-grad";
  }
  return "?";
}

double OpTimes::self_ms(OpPhase phase) const {
  double sum = 0;
  for (const OpTime& op : ops) sum += op.phase == phase ? op.self_ms : 0.0;
  return sum;
}

OpProfile::OpProfile() {
  TORCH_CHECK(!profile_state.active, "one OpProfile per thread at a time");
  profile_state = ProfileState{};
  profile_state.active = true;
  handle_ = at::addThreadLocalCallback(at::RecordFunctionCallback(profile_start, profile_end)
                                           .scopes({at::RecordScope::FUNCTION, at::RecordScope::BACKWARD_FUNCTION}));
}

OpProfile::~OpProfile() {
  at::removeCallback(handle_);
  profile_state.active = false;
}

OpTimes OpProfile::times() const {
  OpTimes out;
  out.inside_ms = double(profile_state.inside_ns) / 1e6;
  for (const auto& [key, t] : profile_state.ops) {
    out.ops.push_back({key.first, key.second, t.calls, double(t.self_ns) / 1e6, double(t.total_ns) / 1e6});
  }
  std::stable_sort(out.ops.begin(), out.ops.end(),
                   [](const OpTime& a, const OpTime& b) { return a.self_ms > b.self_ms; });
  return out;
}

}  // namespace gen
