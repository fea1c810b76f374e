#include "util/flop_counter.h"

#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>

#include <memory>
#include <optional>
#include <string_view>

namespace gen {

namespace {

enum class Op { kMatmul, kAddMatmul, kLinear, kConvolution, kAttention, kQkvAttention, kNested, kBackward };

struct State {
  bool active = false;
  int backward_depth = 0;  // inside a backward node
  int counted_depth = 0;   // inside a counted op
  FlopCount count;
};
thread_local State state;

// What the end callback needs: the inputs can be read only in the start callback (LibTorch 2.x
// checks it; 1.13 let the end callback read a stack the op had already consumed).
struct Context : at::ObserverContext {
  explicit Context(Op o) : op(o) {}
  Op op;
  double flops = 0.0;        // known from the inputs alone
  double per_output = 0.0;   // convolution: multiply-adds per output element, times 2
};

// The ops counted, by name; every other op only passes its callee ops through.
std::optional<Op> counted_op(std::string_view name) {
  if (name == "aten::mm" || name == "aten::bmm") return Op::kMatmul;
  if (name == "aten::addmm" || name == "aten::baddbmm") return Op::kAddMatmul;  // self (added) first
  if (name == "aten::convolution") return Op::kConvolution;
  if (name == "aten::scaled_dot_product_attention") return Op::kAttention;
  if (name == "gen::causal_attention_cpu") return Op::kQkvAttention;  // models/causal_attention_cpu.h
  // models/linear_bf16_cpu.h (GELU's lookups are not counted, as no elementwise op is)
  if (name == "gen::linear_bf16_cpu" || name == "gen::linear_gelu_bf16_cpu") return Op::kLinear;
  return std::nullopt;
}

const at::Tensor* tensor_at(c10::ArrayRef<const c10::IValue> inputs, size_t i) {
  return i < inputs.size() && inputs[i].isTensor() ? &inputs[i].toTensor() : nullptr;
}

// Reads the op's inputs into ctx (start callback only).
void measure_inputs(Context& ctx, const at::RecordFunction& fn) {
  const c10::ArrayRef<const c10::IValue> inputs = fn.inputs();
  switch (ctx.op) {
    case Op::kMatmul:
    case Op::kAddMatmul: {  // (..., m, k) @ (..., k, n): 2 m k n per batch entry
      const size_t first = ctx.op == Op::kAddMatmul ? 1 : 0;
      const at::Tensor* a = tensor_at(inputs, first);
      const at::Tensor* b = tensor_at(inputs, first + 1);
      if (a && b) ctx.flops = 2.0 * double(a->numel()) * double(b->size(-1));
      return;
    }
    case Op::kLinear: {  // x (..., k) w^T, w (n, k): 2 k n per row of x
      const at::Tensor* x = tensor_at(inputs, 0);
      const at::Tensor* w = tensor_at(inputs, 1);
      if (x && w && w->dim() == 2) ctx.flops = 2.0 * double(x->numel()) * double(w->size(0));
      return;
    }
    case Op::kConvolution: {
      // weight (out, in / groups, k...) or, transposed, (in, out / groups, k...): every output
      // (every input, transposed) element takes weight[1] * prod(k) multiply-adds.
      const at::Tensor* input = tensor_at(inputs, 0);
      const at::Tensor* weight = tensor_at(inputs, 1);
      if (!input || !weight) return;
      const double per_element = 2.0 * double(weight->numel()) / double(weight->size(0));
      const bool transposed = inputs.size() > 6 && inputs[6].isBool() && inputs[6].toBool();
      if (transposed) {
        ctx.flops = per_element * double(input->numel());
      } else {
        ctx.per_output = per_element;  // times the output's elements, known at the end
      }
      return;
    }
    case Op::kAttention: {  // q (..., L, E), k (..., S, E), v (..., S, Ev): q k^T and att v
      const at::Tensor* q = tensor_at(inputs, 0);
      const at::Tensor* k = tensor_at(inputs, 1);
      const at::Tensor* v = tensor_at(inputs, 2);
      if (!q || !k || !v) return;
      const double rows = double(q->numel()) / double(q->size(-1));
      ctx.flops = 2.0 * rows * double(k->size(-2)) * double(q->size(-1) + v->size(-1));
      return;
    }
    case Op::kQkvAttention: {  // qkv (B, T, 3C): every head's q k^T and att v, 2 T T d each, h d = C
      const at::Tensor* qkv = tensor_at(inputs, 0);
      if (!qkv || qkv->dim() != 3) return;
      const double tokens = double(qkv->size(1));
      ctx.flops = 4.0 * double(qkv->size(0)) * tokens * tokens * double(qkv->size(2) / 3);
      return;
    }
    default:
      return;
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
  auto ctx = std::make_unique<Context>(outermost ? *op : Op::kNested);
  measure_inputs(*ctx, fn);
  return ctx;
}

void on_end(const at::RecordFunction& fn, at::ObserverContext* ctx_base) {
  if (!ctx_base) return;
  const Context& ctx = *static_cast<Context*>(ctx_base);
  if (ctx.op == Op::kBackward) {
    --state.backward_depth;
    return;
  }
  --state.counted_depth;
  if (ctx.op == Op::kNested) return;
  double flops = ctx.flops;
  if (ctx.per_output > 0) {
    const auto& outputs = fn.outputs();
    if (!outputs.empty() && outputs[0].isTensor()) flops = ctx.per_output * double(outputs[0].toTensor().numel());
  }
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
