// End-to-end: a user's own images as PNG class folders -- a held-out split by data.val_fraction,
// a classifier trained on the folder as the feature network, a DCGAN evaluated with it.
#include <catch2/catch.hpp>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "data/image_dataset.h"
#include "support/idx_writer.h"
#include "support/run_gen.h"

namespace fs = std::filesystem;
using namespace gen::test;

namespace {
// N tiny-MNIST images as DIR/<label>/<i>.png (10 class folders), from IDX files written first.
void write_png_folder(const TempDir& dir, const std::string& folder, int64_t n) {
  fs::create_directories(dir / "idx");
  write_tiny_mnist(dir / "idx", n, 28);
  const gen::ImageDataset d = gen::image_dataset_from_idx(dir / "idx/train-images-idx3-ubyte.gz",
                                                          dir / "idx/train-labels-idx1-ubyte.gz");
  for (int64_t i = 0; i < d.images.size(0); ++i) {
    const std::string sub = dir / (folder + "/" + std::to_string(d.labels[i].item<int64_t>()));
    fs::create_directories(sub);
    const torch::Tensor img = d.images[i][0].contiguous();  // (28, 28) uint8
    REQUIRE(cv::imwrite(sub + "/" + std::to_string(i) + ".png",
                        cv::Mat(28, 28, CV_8UC1, const_cast<uint8_t*>(img.data_ptr<uint8_t>()))));
  }
}
}  // namespace

TEST_CASE("image folder runs: classifier and DCGAN on class folders, gen eval gives FID/KID/IS with that classifier",
          "[smoke]") {
  TempDir dir;
  write_png_folder(dir, "pngs", 300);
  const std::string data = " --set data.kind=image_folder --set data.root=" + (dir / "pngs") +
                           " --set data.channels=1 --set out_dir=" + (dir / "runs");
  Run r = run_gen("train configs/tiny/classifier.yaml" + data, dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("images for training") && Catch::Contains("10 classes"));
  CHECK_THAT(read_text(dir / "runs/classifier/metrics.jsonl"), Catch::Contains("\"val_acc\":"));
  r = run_gen("train configs/tiny/dcgan.yaml" + data, dir);
  REQUIRE(r.code == 0);
  const std::string ckpt = dir / "runs/dcgan/checkpoints/latest.pt";

  r = run_gen("eval --ckpt " + ckpt + " --n 32 --features " + (dir / "runs/classifier/checkpoints/latest.pt") +
                  " --json " + (dir / "eval.json"),
              dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  const std::string json = read_text(dir / "eval.json");
  for (const char* figure : {"\"fid_", "\"kid_", "\"is_"}) CHECK_THAT(json, Catch::Contains(figure));

  // Autoguidance by a diffusion model of other images of the same kind and shape: said, not refused
  // (a folder may have moved since its run).
  write_png_folder(dir, "pngs_other", 40);
  for (const char* folder : {"pngs", "pngs_other"}) {
    r = run_gen("train configs/tiny/diffusion.yaml --set name=diffusion_" + std::string(folder) +
                    " --set data.kind=image_folder --set data.channels=1 --set data.root=" + (dir / folder) +
                    " --set out_dir=" + (dir / "runs"),
                dir);
    REQUIRE(r.code == 0);
  }
  const std::string guided = "sample --ckpt " + (dir / "runs/diffusion_pngs/checkpoints/latest.pt") + " --n 4 --out " +
                             (dir / "guided.png") + " --guidance 2 --guide ";
  r = run_gen(guided + (dir / "runs/diffusion_pngs_other/checkpoints/latest.pt"), dir);
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("trained on the images of data.root " + (dir / "pngs_other") +
                                       ", the model on " + (dir / "pngs")));
  r = run_gen(guided + (dir / "runs/diffusion_pngs/checkpoints/step_0000003.pt"), dir);  // its own earlier step
  CHECK(r.code == 0);
  CHECK_THAT(r.output, !Catch::Contains("trained on the images of"));

  // No feature network to be found: the figures that need none, and a line saying why not.
  r = run_gen("eval --ckpt " + ckpt + " --n 32", dir);
  CHECK(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("image figures (FID/KID/IS) skipped: "));

  // Without class folders there is no classifier to train: said as such, not an exit.
  write_png_folder(dir, "flat_tmp", 40);
  fs::create_directories(dir / "flat");
  for (const auto& e : fs::recursive_directory_iterator(dir / "flat_tmp")) {
    if (e.is_regular_file()) fs::rename(e.path(), dir / ("flat/" + e.path().parent_path().filename().string() + "_" +
                                                         e.path().filename().string()));
  }
  r = run_gen("train configs/tiny/vae.yaml --set name=flat_vae --set data.kind=image_folder --set data.root=" +
                  (dir / "flat") + " --set data.channels=1 --set out_dir=" + (dir / "runs"),
              dir);
  REQUIRE(r.code == 0);
  r = run_gen("eval --ckpt " + (dir / "runs/flat_vae/checkpoints/latest.pt") + " --n 16", dir);
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("image figures (FID/KID/IS) skipped: ") &&
                           Catch::Contains("without them no classifier can be trained"));
  CHECK_THAT(r.output, Catch::Contains("val_loss"));
}
