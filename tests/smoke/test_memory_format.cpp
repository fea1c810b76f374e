// End-to-end: runtime.memory_format lays the convolution nets out channels-last (as the
// checkpoint's tensors show), resumes bit for bit so, and auto takes each family's measured choice.
#include <catch2/catch.hpp>

#include "io/checkpoint.h"
#include "support/run_gen.h"

using namespace gen::test;

namespace {
// Whether the checkpoint's weight at `path` (model archive, then the module tree, e.g.
// {"discriminator", "net", "2"}) is saved in channels-last layout.
bool saved_channels_last(const std::string& ckpt, const std::vector<std::string>& path) {
  gen::Checkpoint c = gen::open_checkpoint(ckpt, torch::kCPU);
  torch::serialize::InputArchive archive;
  c.archive.read("model", archive);
  for (const std::string& part : path) {
    torch::serialize::InputArchive inner;
    archive.read(part, inner);
    archive = std::move(inner);
  }
  torch::Tensor w;
  archive.read("weight", w);
  REQUIRE(w.dim() == 4);
  return !w.is_contiguous() && w.is_contiguous(at::MemoryFormat::ChannelsLast);
}
}  // namespace

TEST_CASE("memory format: channels_last reaches the weights, resumes bit for bit, auto follows the measurement",
          "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  for (const char* format : {"contiguous", "channels_last"}) {
    INFO(format);
    const std::string set = " --set runtime.memory_format=" + std::string(format) + " --set name=";
    REQUIRE(run_gen("train configs/tiny/dcgan.yaml" + sets + set + "dcgan_" + format, dir).code == 0);
    REQUIRE(run_gen("train configs/tiny/classifier.yaml" + sets + set + "classifier_" + format, dir).code == 0);
    REQUIRE(run_gen("train configs/tiny/diffusion.yaml" + sets + set + "diffusion_" + format, dir).code == 0);
    const bool last = std::string(format) == "channels_last";
    CHECK(saved_channels_last(dir / ("runs/diffusion_" + std::string(format) + "/checkpoints/latest.pt"),
                              {"net", "down_blocks", "0", "resnets", "0", "conv1"}) == last);
    CHECK(saved_channels_last(dir / ("runs/dcgan_" + std::string(format) + "/checkpoints/latest.pt"), {"discriminator", "net", "2"}) == last);
    CHECK(saved_channels_last(dir / ("runs/classifier_" + std::string(format) + "/checkpoints/latest.pt"), {"net", "body", "3"}) == last);
  }
  // auto on the CPU: channels-last for the classifier (faster there), channels-first for the DCGAN.
  REQUIRE(run_gen("train configs/tiny/dcgan.yaml" + sets + " --set name=dcgan_auto", dir).code == 0);
  REQUIRE(run_gen("train configs/tiny/classifier.yaml" + sets + " --set name=classifier_auto", dir).code == 0);
  CHECK_FALSE(saved_channels_last(dir / "runs/dcgan_auto/checkpoints/latest.pt", {"discriminator", "net", "2"}));
  CHECK(saved_channels_last(dir / "runs/classifier_auto/checkpoints/latest.pt", {"net", "body", "3"}));

  check_resumes_identically("configs/tiny/dcgan.yaml --steps 6 --set runtime.memory_format=channels_last --set model.r1=1" +
                                sets,
                            dir);
  check_resumes_identically("configs/tiny/diffusion.yaml --steps 6 --set runtime.memory_format=channels_last" + sets, dir);
}
