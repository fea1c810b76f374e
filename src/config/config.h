// The experiment config: typed structs with defaults in code. Each struct's visit() is the
// one list of its keys (see field.h); model families read their own keys from model.options.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/field.h"
#include "util/precision.h"
#include "util/threads.h"

namespace gen {

constexpr int64_t kMaxSteps = 1'000'000'000;
constexpr int64_t kMaxBatch = 65'536;
constexpr int64_t kMaxImageSize = 1024;

enum class DataKind { kMnist, kFashionMnist, kIdx, kImageFolder, kText, kTokens };
template <>
struct EnumNames<DataKind> {
  static constexpr std::array<std::string_view, 6> names{"mnist", "fashion_mnist", "idx", "image_folder", "text",
                                                         "tokens"};
};
enum class Split { kTrain, kTest };
template <>
struct EnumNames<Split> {
  static constexpr std::array<std::string_view, 2> names{"train", "test"};
};
enum class TokenizerKind { kChar, kByte, kFile };
template <>
struct EnumNames<TokenizerKind> {
  static constexpr std::array<std::string_view, 3> names{"char", "byte", "file"};
};
enum class OptimKind { kAdam, kAdamW };
template <>
struct EnumNames<OptimKind> {
  static constexpr std::array<std::string_view, 2> names{"adam", "adamw"};
};
// How the optimizer step runs: PyTorch's foreach ops, or its fused Adam kernel (auto: fused
// where this LibTorch has it for the device, see optim/multi_tensor_adam.h).
enum class OptimKernel { kAuto, kForeach, kFused };
template <>
struct EnumNames<OptimKernel> {
  static constexpr std::array<std::string_view, 3> names{"auto", "foreach", "fused"};
};
enum class Schedule { kConstant, kCosine };
template <>
struct EnumNames<Schedule> {
  static constexpr std::array<std::string_view, 2> names{"constant", "cosine"};
};
enum class OnCheckpointError { kStop, kWarn };
template <>
struct EnumNames<OnCheckpointError> {
  static constexpr std::array<std::string_view, 2> names{"stop", "warn"};
};

enum class DistBackend { kAuto, kGloo, kNccl };
template <>
struct EnumNames<DistBackend> {
  static constexpr std::array<std::string_view, 3> names{"auto", "gloo", "nccl"};
};

// How convolution nets keep activations and weights: channels-first (NCHW) or channels-last
// (NHWC, what oneDNN and cuDNN's tensor-core kernels prefer); auto = each family's measured choice.
enum class MemoryFormat { kAuto, kContiguous, kChannelsLast };
template <>
struct EnumNames<MemoryFormat> {
  static constexpr std::array<std::string_view, 3> names{"auto", "contiguous", "channels_last"};
};

struct RuntimeConfig {
  std::optional<int64_t> threads;       // nullopt = auto
  std::optional<int64_t> blas_threads;  // nullopt = auto (chosen per model family)
  Precision precision = Precision::kAuto;
  MemoryFormat memory_format = MemoryFormat::kAuto;
  bool tf32 = true;
  bool deterministic = false;
  DistBackend dist_backend = DistBackend::kAuto;
  int64_t dist_timeout = 600;  // seconds
  double dist_bucket_mb = 25;
  bool dist_local_sums = true;

  template <class V>
  void visit(V& v) {
    v("threads", threads,
      Doc("intra-op threads; auto = the CPUs this process may use (divided among the data-parallel ranks on the "
          "machine), less those other work keeps busy at start-up (a resumed run keeps the counts it started with)")
          .range(1, 1024)
          .may_change_on_resume());
    v("blas_threads", blas_threads,
      Doc("OpenBLAS threads; auto = 1 for convolution nets (their GEMMs run inside OpenMP regions); for matmul "
          "nets the CPUs auto gives this process, with OpenMP then at 1 thread")
          .range(1, 1024)
          .may_change_on_resume());
    v("precision", precision,
      Doc("training arithmetic: auto = bf16 on CUDA GPUs with bfloat16 tensor cores (compute capability >= 8), "
          "else float32 (TF32 on CUDA after runtime.tf32); fp32 = full float32; tf32 = float32 with TF32 "
          "matrix products on CUDA; bf16 / fp16 = forward passes under autocast (fp16 with dynamic loss "
          "scaling, CUDA only), weights and optimizer in float32. Held-out losses and samples run in float32, "
          "except diffusion's: its held-out loss and its samplers' U-Net passes run under the same autocast")
          .may_change_on_resume());
    v("memory_format", memory_format,
      Doc("convolution nets (DCGAN, conv VAE, classifier): contiguous = channels-first (NCHW) tensors; "
          "channels_last = NHWC weights and activations; auto = the family's choice for the device and precision, "
          "from measurement (docs/RESULTS.md)")
          .may_change_on_resume());
    v("tf32", tf32,
      Doc("CUDA: the float32 matrix products and convolutions that remain (precision auto on older GPUs, or "
          "outside autocast) use the TF32 tensor cores, as nanoGPT does; false = full float32. No effect on the CPU")
          .may_change_on_resume());
    v("deterministic", deterministic,
      Doc("CUDA: deterministic kernels only (cuDNN without autotuning, a fixed cuBLAS workspace), so that a "
          "run repeats bit for bit, at some speed; the CPU always is")
          .may_change_on_resume());
    v("dist_backend", dist_backend,
      Doc("data-parallel jobs (torchrun, srun): the c10d backend between ranks; auto = NCCL for CUDA, Gloo for "
          "the CPU")
          .may_change_on_resume());
    v("dist_timeout", dist_timeout,
      Doc("data-parallel jobs: seconds a rank waits for the others in a collective before the job stops, naming "
          "the rank")
          .range(1, 86400)
          .may_change_on_resume());
    v("dist_bucket_mb", dist_bucket_mb,
      Doc("data-parallel jobs: MiB of gradients per all-reduce; each bucket is sent as soon as the backward pass "
          "has produced it, while the rest of the backward pass goes on (the first, the last layers', holds at "
          "most 1 MiB; as bucket_cap_mb of PyTorch's DDP)")
          .range(0.001, 1e6)
          .may_change_on_resume());
    v("dist_local_sums", dist_local_sums,
      Doc("data-parallel jobs with Gloo and every rank on one machine: every sum (synchronized BatchNorm's "
          "statistics, metrics, gradient buckets) goes through shared memory instead of Gloo's threads and sockets, "
          "in pieces of 256 KiB; false: through Gloo, gradient buckets overlapping the backward pass")
          .may_change_on_resume());
  }

  ThreadRequest thread_request() const { return {threads, blas_threads}; }
};

// The keys every data kind has; a kind's own keys (data.images, data.file, ...) stay raw in
// `options` until data/data_registry.h resolves them (like model.options for a family).
struct DataConfig {
  DataKind kind = DataKind::kMnist;
  std::string root = "data/mnist";
  Split split = Split::kTrain;
  int64_t image_size = 0;  // 0 = the data's own size
  int64_t batch_size = 128;
  YAML::Node options = YAML::Node(YAML::NodeType::Map);  // the kind's own keys
  YAML::Node option_docs;  // their help texts, once resolved (comments in config.yaml)

  template <class V>
  void visit(V& v) {
    v("kind", kind, "data source kind (`gen config keys` lists each kind's own keys)");
    v("root", root, Doc("folder holding the data files (relative to the working directory)").may_change_on_resume());
    v("split", split, "which split training reads");
    v("image_size", image_size,
      Doc("resize images to this square size once at load; 0 keeps the data's size").range(0, kMaxImageSize));
    v("batch_size", batch_size, Doc("examples per training step").range(1, kMaxBatch));
    v.rest(options, option_docs);
  }
};

struct ModelSection {
  std::string kind;
  YAML::Node options = YAML::Node(YAML::NodeType::Map);  // the family's own keys
  YAML::Node option_docs;  // their help texts, once resolved (comments in config.yaml)

  template <class V>
  void visit(V& v) {
    v("kind", kind, "model family (`gen config keys` lists them)");
    v.rest(options, option_docs);
  }
};

struct OptimConfig {
  OptimKind kind = OptimKind::kAdam;
  double lr = 2e-4;
  std::vector<double> betas = {0.5, 0.999};
  double weight_decay = 0.0;
  Schedule schedule = Schedule::kConstant;
  int64_t warmup_steps = 0;
  double min_lr = 0.0;
  double grad_clip = 0.0;
  OptimKernel kernel = OptimKernel::kAuto;

  template <class V>
  void visit(V& v) {
    v("kind", kind, "adam (L2 in the gradient) or adamw (decoupled weight decay)");
    v("lr", lr, Doc("peak learning rate").range(0, 10).may_change_on_resume());
    v("betas", betas, Doc("Adam betas [beta1, beta2]").range(0, 1));
    v("weight_decay", weight_decay,
      Doc("weight decay on weight matrices (never on biases, norms or position tables)")
          .range(0, 10)
          .may_change_on_resume());
    v("schedule", schedule, Doc("learning-rate schedule after warm-up").may_change_on_resume());
    v("warmup_steps", warmup_steps,
      Doc("linear warm-up from 0 to lr over these steps").range(0, kMaxSteps).may_change_on_resume());
    v("min_lr", min_lr, Doc("cosine: the lr reached at the last step").range(0, 10).may_change_on_resume());
    v("grad_clip", grad_clip, Doc("clip gradients to this global norm; 0 = off").range(0, 1e6).may_change_on_resume());
    v("kernel", kernel,
      Doc("the update's kernels: foreach (PyTorch's foreach ops, torch::optim's arithmetic bit for bit), fused "
          "(one pass over each tensor, PyTorch's fused=True; LibTorch 2.4 or later), auto (fused where available)")
          .may_change_on_resume());
  }
};

struct TrainConfig {
  int64_t steps = 1000;
  int64_t log_every = 50;
  int64_t sample_every = 500;
  int64_t ckpt_every = 500;
  int64_t keep_last = 3;
  int64_t n_samples = 64;
  int64_t accumulate = 1;
  double ema = 0.0;
  int64_t eval_every = 0;
  int64_t eval_batches = 20;
  std::string keep_best;

  template <class V>
  void visit(V& v) {
    v("steps", steps, Doc("optimizer steps to train").range(1, kMaxSteps).may_change_on_resume());
    v("log_every", log_every, Doc("log metrics every N steps").range(1, kMaxSteps).may_change_on_resume());
    v("sample_every", sample_every,
      Doc("write a sample grid every N steps; 0 = only at the end").range(0, kMaxSteps).may_change_on_resume());
    v("ckpt_every", ckpt_every,
      Doc("write a checkpoint every N steps; 0 = only at the end").range(0, kMaxSteps).may_change_on_resume());
    v("keep_last", keep_last,
      Doc("checkpoints kept on disk (the newest always stays)").range(1, 1'000'000).may_change_on_resume());
    v("n_samples", n_samples,
      Doc("images in each training sample grid (the fixed noise bank)").range(1, 1024).may_change_on_resume());
    v("accumulate", accumulate,
      Doc("micro-batches per optimizer step (gradient accumulation); divides data.batch_size").range(1, 1024));
    v("ema", ema,
      Doc("decay of an exponential moving average of the weights (warming up as (1+n)/(10+n) over the first updates), "
          "used for sampling and held-out figures; 0 = off")
          .range(0, 0.99999999));
    v("eval_every", eval_every,
      Doc("evaluate on held-out data every N steps (and at the end); 0 = never")
          .range(0, kMaxSteps)
          .may_change_on_resume());
    v("eval_batches", eval_batches,
      Doc("batches per split in each evaluation; 0 = the whole split").range(0, 1'000'000).may_change_on_resume());
    v("keep_best", keep_best,
      Doc("also keep checkpoints/best.pt: the checkpoint with the best value of this evaluation figure (e.g. val_loss, "
          "fid_mnist_cnn, is_mnist_cnn; each figure declares whether higher or lower is better); empty = off")
          .may_change_on_resume());
  }
};

struct GuardConfig {
  int64_t max_bad_steps = 10;
  double lr_factor = 0.5;
  int64_t max_rollbacks = 3;

  template <class V>
  void visit(V& v) {
    v("max_bad_steps", max_bad_steps,
      Doc("after this many steps in a row with a non-finite loss or gradient (each skipped), roll back to the last "
          "checkpoint (noticed at the next log line or checkpoint); 0 = never roll back")
          .range(0, 1'000'000)
          .may_change_on_resume());
    v("lr_factor", lr_factor,
      Doc("multiply the learning rate by this at each rollback").range(1e-6, 1).may_change_on_resume());
    v("max_rollbacks", max_rollbacks,
      Doc("stop with an error after this many rollbacks").range(0, 1000).may_change_on_resume());
  }
};

struct CheckpointConfig {
  OnCheckpointError on_error = OnCheckpointError::kStop;

  template <class V>
  void visit(V& v) {
    v("on_error", on_error,
      Doc("when a checkpoint cannot be written (disk full, unwritable): stop the run cleanly, or warn and keep "
          "training")
          .may_change_on_resume());
  }
};

struct LoggingConfig {
  bool tensorboard = true;

  template <class V>
  void visit(V& v) {
    v("tensorboard", tensorboard,
      Doc("write TensorBoard event files (events.out.tfevents.*) into the run folder: every logged figure, sample "
          "grids, text samples and the config; `tensorboard --logdir RUNS` shows them")
          .may_change_on_resume());
  }
};

struct EvalConfig {
  std::string features = "auto";
  int64_t samples = 2000;
  int64_t iw_samples = 0;

  template <class V>
  void visit(V& v) {
    v("features", features,
      Doc("classifier checkpoint whose features FID/KID/IS use; auto = "
          "out_dir/classifier_<data.kind>/checkpoints/latest.pt if it exists")
          .may_change_on_resume());
    v("samples", samples,
      Doc("generated images per image figure during training (gen eval takes --n)")
          .range(2, 1'000'000)
          .may_change_on_resume());
    v("iw_samples", iw_samples,
      Doc("VAE: importance samples per test image for the IWAE bound during training; 0 = ELBO only")
          .range(0, 100'000)
          .may_change_on_resume());
  }
};

struct Config {
  std::string name;  // empty = the config file's stem
  int64_t seed = 0;
  std::string device = "auto";
  std::string out_dir = "runs";
  RuntimeConfig runtime;
  DataConfig data;
  ModelSection model;
  OptimConfig optim;
  TrainConfig train;
  EvalConfig eval;
  GuardConfig guard;
  CheckpointConfig checkpoint;
  LoggingConfig logging;

  ConfigSource source;  // not a key: where the values came from, for error messages

  template <class V>
  void visit(V& v) {
    v("name", name,
      Doc("run name; the run folder is out_dir/name (default: the config file's stem)").may_change_on_resume());
    v("seed", seed, Doc("seed for weights, data order and noise").range(0, 9.007199254740992e15));
    v("device", device, Doc("auto | cpu | cuda | cuda:N (auto picks CUDA when present)").may_change_on_resume());
    v("out_dir", out_dir, Doc("folder that holds run folders").may_change_on_resume());
    v.section("runtime", runtime, "threads");
    v.section("data", data, "training data");
    v.section("model", model, "model family and its options");
    v.section("optim", optim, "optimizer");
    v.section("train", train, "training loop cadence");
    v.section("guard", guard, "what to do about non-finite losses and gradients");
    v.section("checkpoint", checkpoint, "checkpoint writing");
    v.section("eval", eval, "quality figures (gen eval, and train.eval_every during training)");
    v.section("logging", logging, "what the run folder records besides train.log and metrics.jsonl");
  }

  std::string run_dir() const { return out_dir + "/" + name; }
};

// Reads FILE, applies "a.b=c" overrides, checks every key except the model family's own
// (models::resolve_model_options does those). Throws ConfigError.
Config load_config(const std::string& file, const std::vector<std::string>& overrides = {});

// Parses a config from YAML text (a checkpoint's embedded config); `origin` names it in errors.
Config parse_config(const std::string& yaml_text, const std::string& origin);

// The resolved config as YAML; with comments, every key carries its help text.
std::string config_to_yaml(const Config& config, bool comments);

// "key = default  # help" for every key of the fixed sections.
std::vector<std::string> config_key_lines();

}  // namespace gen
