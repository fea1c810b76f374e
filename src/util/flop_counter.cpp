#include "util/flop_counter.h"

#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>

#include <memory>
#include <optional>
#include <string_view>

namespace gen {

namespace {

enum class Op { kMatmul, kAddMatmul, kConvolution, kAttention, kNested, kBackward };

struct State {
  bool active = false;
  int backward_depth = 0;  // inside a backward node
  int counted_depth = 0;   // inside a counted op
  FlopCount count;
};
thread_local State state;

struct Context : at::ObserverContext {
  explicit Context(Op o) : op(o) {}
  Op op;
};

// The ops counted, by name; every other op only passes its callee ops through.
std::optional<Op> counted_op(std::string_view name) {
  if (name == "aten::mm" || name == "aten::bmm") return Op::kMatmul;
  if (name == "aten::addmm" || name == "aten::baddbmm") return Op::kAddMatmul;  // self (added) first
  if (name == "aten::convolution") return Op::kConvolution;
  if (name == "aten::scaled_dot_product_attention") return Op::kAttention;
  return std::nullopt;
}

const at::Tensor* tensor_at(const at::RecordFunction& fn, size_t i) {
  const auto inputs = fn.inputs();
  return i < inputs.size() && inputs[i].isTensor() ? &inputs[i].toTensor() : nullptr;
}

double flops_of(Op op, const at::RecordFunction& fn) {
  switch (op) {
    case Op::kMatmul:
    case Op::kAddMatmul: {  // (..., m, k) @ (..., k, n): 2 m k n per batch entry
      const size_t first = op == Op::kAddMatmul ? 1 : 0;
      const at::Tensor* a = tensor_at(fn, first);
      const at::Tensor* b = tensor_at(fn, first + 1);
      return a && b ? 2.0 * double(a->numel()) * double(b->size(-1)) : 0.0;
    }
    case Op::kConvolution: {
      // weight (out, in / groups, k...) or, transposed, (in, out / groups, k...): every output
      // (every input, transposed) element takes weight[1] * prod(k) multiply-adds.
      const at::Tensor* input = tensor_at(fn, 0);
      const at::Tensor* weight = tensor_at(fn, 1);
      const auto inputs = fn.inputs();
      const bool transposed = inputs.size() > 6 && inputs[6].isBool() && inputs[6].toBool();
      const auto& outputs = fn.outputs();
      if (!input || !weight || outputs.empty() || !outputs[0].isTensor()) return 0.0;
      const double per_element = double(weight->numel()) / double(weight->size(0));
      const double elements = transposed ? double(input->numel()) : double(outputs[0].toTensor().numel());
      return 2.0 * elements * per_element;
    }
    case Op::kAttention: {  // q (..., L, E), k (..., S, E), v (..., S, Ev): q k^T and att v
      const at::Tensor* q = tensor_at(fn, 0);
      const at::Tensor* k = tensor_at(fn, 1);
      const at::Tensor* v = tensor_at(fn, 2);
      if (!q || !k || !v) return 0.0;
      const double rows = double(q->numel()) / double(q->size(-1));
      return 2.0 * rows * double(k->size(-2)) * double(q->size(-1) + v->size(-1));
    }
    default:
      return 0.0;
  }
}

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
  if (fn.scope() == at::RecordScope::BACKWARD_FUNCTION) {
    ++state.backward_depth;
    return std::make_unique<Context>(Op::kBackward);
  }
  const std::optional<Op> op = counted_op(fn.name());
  if (!op) return nullptr;
  const bool outermost = state.backward_depth == 0 && state.counted_depth == 0;
  ++state.counted_depth;
  return std::make_unique<Context>(outermost ? *op : Op::kNested);
}

void on_end(const at::RecordFunction& fn, at::ObserverContext* ctx) {
  if (!ctx) return;
  const Op op = static_cast<Context*>(ctx)->op;
  if (op == Op::kBackward) {
    --state.backward_depth;
    return;
  }
  --state.counted_depth;
  if (op == Op::kNested) return;
  const double flops = flops_of(op, fn);
  (c10::GradMode::is_enabled() ? state.count.with_grad : state.count.without_grad) += flops;
  ++state.count.ops;
}

}  // namespace

FlopCounter::FlopCounter() {
  TORCH_CHECK(!state.active, "one FlopCounter per thread at a time");
  state = State{};
  state.active = true;
  handle_ = at::addThreadLocalCallback(at::RecordFunctionCallback(on_start, on_end)
                                           .needsInputs(true)
                                           .needsOutputs(true)
                                           .scopes({at::RecordScope::FUNCTION, at::RecordScope::BACKWARD_FUNCTION}));
}

FlopCounter::~FlopCounter() {
  at::removeCallback(handle_);
  state.active = false;
}

FlopCount FlopCounter::count() const { return state.count; }

}  // namespace gen
