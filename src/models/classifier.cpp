// A small CNN image classifier (two conv-conv-pool blocks, a dense feature layer, dropout,
// the class layer). It exists to be gen's own feature network: FID/KID use its penultimate
// activations and the Inception Score its class probabilities (there are no ImageNet
// Inception weights offline). Trained like every family: `gen train configs/classifier_mnist.yaml`.
#include "config/config.h"
#include "models/augment.h"
#include "models/batch_norm.h"
#include "models/batch_random.h"
#include "models/capabilities.h"
#include "models/generative_model.h"
#include "models/memory_format.h"
#include "models/model_options.h"
#include "models/registry.h"
#include "optim/ema.h"
#include "optim/net_optimizer.h"
#include "util/errors.h"

namespace gen {

namespace {

namespace F = torch::nn::functional;
namespace nn = torch::nn;

struct ClassifierOptions {
  int64_t channels = 32;
  int64_t features = 128;
  double dropout = 0.5;
  AugmentOptions augment;
  bool sync_bn = true;

  template <class V>
  void visit(V& v) {
    v("channels", channels, Doc("channels of the first conv block (the second has twice as many)").range(1, 1024));
    v("features", features, Doc("width of the penultimate layer: the feature space of FID/KID").range(2, 8192));
    v("dropout", dropout, Doc("dropout before the class layer").range(0, 0.9));
    v.section("augment", augment, "augmentation of the training images");
    v("sync_bn", sync_bn,
      "data-parallel jobs: BatchNorm statistics of the global batch (as one process computes them); false = each "
      "rank normalizes with its own slice's");
  }
};

struct ClassifierNetImpl : nn::Module {
  ClassifierNetImpl(const ClassifierOptions& o, const DataSpec& d) {
    const int64_t c1 = o.channels, c2 = 2 * o.channels;
    nn::Sequential seq;
    auto block = [&seq, &o](int64_t in, int64_t out) {  // conv-BN-ReLU twice, then 2x2 max pooling
      for (int64_t i : {in, out}) {
        seq->push_back(nn::Conv2d(nn::Conv2dOptions(i, out, 3).padding(1).bias(false)));
        seq->push_back(BatchNorm(out, o.sync_bn));
        seq->push_back(nn::ReLU());
      }
      seq->push_back(nn::MaxPool2d(2));
    };
    block(d.shape.channels, c1);
    block(c1, c2);
    seq->push_back(nn::Flatten());
    seq->push_back(nn::Linear(c2 * (d.shape.height / 4) * (d.shape.width / 4), o.features));
    seq->push_back(nn::ReLU());
    body = register_module("body", seq);
    drop = register_module("drop", nn::Dropout(o.dropout));
    head = register_module("head", nn::Linear(o.features, d.shape.num_classes));
    input_weight = body->parameters().front();
  }

  torch::Tensor features(const torch::Tensor& x) {  // (B, C, H, W) -> (B, features)
    return body->forward(like_weights(x, input_weight));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return head->forward(batch_dropout(features(x), drop->options.p(), is_training()));
  }  // -> logits (B, K)

  nn::Sequential body{nullptr};
  nn::Dropout drop{nullptr};
  nn::Linear head{nullptr};
  torch::Tensor input_weight;  // the first conv's weight, looked up once (as in the DCGAN's nets)
};
TORCH_MODULE(ClassifierNet);

// runtime.memory_format auto: what measurement found faster (docs/RESULTS.md, "Memory format"):
// channels-last on the CPU (oneDNN); not measured on CUDA yet.
bool classifier_prefers_channels_last(const ModelContext& ctx) { return !ctx.device.is_cuda(); }

class Classifier final : public GenerativeModel, public ImageClassifier {
 public:
  Classifier(const ModelContext& ctx, const ClassifierOptions& o)
      : o_(o),
        classes_(ctx.data.shape.num_classes),
        shape_(ctx.data.shape),
        channels_last_(use_channels_last(ctx.config, classifier_prefers_channels_last(ctx))),
        net_(laid_out(on_device(ClassifierNet(o, ctx.data), ctx.device), channels_last_)),
        opt_(*net_, ctx.config, /*use_ema=*/false, ctx.precision),
        accumulate_(ctx.config.train.accumulate) {}

  void begin_step(int64_t /*step*/, double lr) override { opt_.set_lr(lr); }

  int64_t batch_chunks() const override { return accumulate_; }
  bool rank_dependent_draws() const override { return false; }  // dropout through batch_random.h

  StepResult train_step(const Batch& batch) override {
    net_->train();
    return opt_.train(batch, accumulate_, [&](const Batch& micro) {
      const torch::Tensor logits = net_->forward(o_.augment.any() ? augment(micro.x, o_.augment) : micro.x);
      const torch::Tensor loss = F::cross_entropy(logits, micro.y);
      return std::make_pair(loss,
                            Metrics{{"loss", loss.detach()}, {"acc", accuracy(logits, micro.y), Better::kHigher}});
    });
  }

  Metrics evaluate(const Batch& batch) override {
    const Output out = classify(batch.x);
    return {{"loss", F::cross_entropy(out.logits, batch.y)}, {"acc", accuracy(out.logits, batch.y), Better::kHigher}};
  }

  // A classifier draws nothing: `gen sample` says so, the trainer writes no grids.
  std::vector<SampleMode> sample_modes() const override { return {}; }
  ImageClassifier* classifier() override { return this; }
  SampleOutput sample(const SampleRequest& /*request*/) override { return {}; }

  Output classify(const torch::Tensor& x) override {
    InferenceScope inference(*net_);
    Output out;
    out.features = net_->features(x);
    out.logits = net_->head->forward(out.features);  // dropout is the identity in eval mode
    return out;
  }
  int64_t num_classes() const override { return classes_; }

  void save(torch::serialize::OutputArchive& archive) override { save_trained(archive, "net", "optim", *net_, opt_); }
  void load(torch::serialize::InputArchive& archive) override {
    load_trained(archive, "net", "optim", *net_, opt_);
    set_layout(*net_, channels_last_);  // the checkpoint's tensors come in the layout they were saved in
  }

  std::vector<std::pair<std::string, int64_t>> parameter_counts() const override {
    return {{"classifier", count_parameters(*net_)}};
  }

  // gen's own names (no reference implementation); probe: images in [-1, 1] -> features, logits.
  std::vector<ExportedNetwork> exported_networks(bool /*use_ema: the classifier keeps none*/) override {
    InferenceScope inference(*net_);
    ExportedNetwork out;
    out.name = "model";
    out.tensors = state_dict_renamed(*net_, [](const std::string& n) { return n; });
    auto gen = at::detail::createCPUGenerator(0);
    const torch::Tensor x = torch::rand({4, shape_.channels, shape_.height, shape_.width}, gen) * 2 - 1;
    const torch::Tensor features = net_->features(x.to(net_->head->weight.device()));
    out.probe = {{"input", x}, {"features", probe_copy(features)}, {"logits", probe_copy(net_->head->forward(features))}};
    return {out};
  }

 private:
  static torch::Tensor accuracy(const torch::Tensor& logits, const torch::Tensor& y) {
    return logits.argmax(1).eq(y).to(torch::kFloat).mean();
  }

  ClassifierOptions o_;
  int64_t classes_;
  ImageShape shape_;
  bool channels_last_;  // runtime.memory_format (models/memory_format.h)
  ClassifierNet net_;
  NetOptimizer opt_;
  int64_t accumulate_;
};

std::unique_ptr<GenerativeModel> build_classifier(const ModelContext& ctx, const ClassifierOptions& o) {
  if (ctx.data.is_text() || ctx.data.shape.height <= 0) {
    throw ConfigError(ctx.config.source.file + ": model.kind classifier needs image data");
  }
  if (ctx.data.shape.num_classes < 2) {
    throw ConfigError(ctx.config.source.file +
                      ": model.kind classifier needs labelled images (data.kind mnist, fashion_mnist, "
                      "idx with data.labels, or image_folder with one sub-folder per class)");
  }
  if (ctx.data.shape.height % 4 != 0 || ctx.data.shape.width % 4 != 0) {
    throw ConfigError(
        ctx.config.source.file + ": model.kind classifier needs image sides divisible by 4; the data is " +
        std::to_string(ctx.data.shape.height) + "x" + std::to_string(ctx.data.shape.width) + " (set data.image_size)");
  }
  return std::make_unique<Classifier>(ctx, o);
}

}  // namespace

void register_classifier() {
  register_family<ClassifierOptions>(
      "classifier", "CNN image classifier: gen's feature network for FID/KID/IS (labelled images)",
      [](const ClassifierOptions&) { return CpuWorkload::kConvolution; }, build_classifier);
}

}  // namespace gen
