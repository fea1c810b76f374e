// End-to-end: the real gen binary on the tiny configs and data the tests write.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <yaml-cpp/yaml.h>
#include <cstdio>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "io/image_file.h"
#include "support/idx_writer.h"
#include "support/run_gen.h"
#include "support/temp_dir.h"
#include "util/cpu_kernels_isa.h"
#include "util/fs.h"
#include "util/torch_build.h"

namespace fs = std::filesystem;
using gen::test::read_text;
using gen::test::TempDir;
using namespace gen::test;  // run_gen and the tiny-run helpers

namespace {
// `gen sample ARGS` from the newest checkpoints of runs A and B (under dir/runs) writes the same bytes.
void check_same_samples(const TempDir& dir, const std::string& a, const std::string& b, const std::string& args,
                        const std::string& ext) {
  for (const std::string& name : {a, b}) {
    REQUIRE(run_gen("sample " + args + " --ckpt " + dir.path() + "/runs/" + name + "/checkpoints/latest.pt --out " +
                        dir.path() + "/" + name + ext,
                    dir)
                .code == 0);
  }
  CHECK(read_text(dir / (a + ext)) == read_text(dir / (b + ext)));
}
}  // namespace

TEST_CASE("smoke: train, refuse to overwrite, resume, sample", "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "data");
  gen::test::write_tiny_mnist(dir / "data", 64, 28);
  const std::string run = dir / "runs/dcgan";

  Run r = run_gen(tiny_train(dir, ""), dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("threads:") && Catch::Contains("OpenMP"));
  for (const char* f : {"config.yaml", "train.log", "metrics.jsonl", "samples/step_0000003.png",
                        "samples/step_0000006.png", "checkpoints/step_0000003.pt", "checkpoints/step_0000006.pt"}) {
    INFO(f);
    CHECK(fs::exists(run + "/" + f));
  }
  CHECK(fs::read_symlink(run + "/checkpoints/latest.pt") == "step_0000006.pt");
  CHECK(count_lines(read_text(run + "/metrics.jsonl")) == 3);
  CHECK_THAT(read_text(run + "/metrics.jsonl"), Catch::Contains("\"loss_d\":") && Catch::Contains("\"images_per_s\":"));
  CHECK_THAT(read_text(run + "/config.yaml"), Catch::Contains("latent_dim: 8"));
  const cv::Mat grid = cv::imread(run + "/samples/step_0000006.png", cv::IMREAD_UNCHANGED);
  CHECK(grid.cols == 4 * 18 + 2);  // 16 samples of 16 px in a 4x4 grid, 2 px padding

  r = run_gen(tiny_train(dir, ""), dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("already holds checkpoints") && Catch::Contains("--resume auto"));

  r = run_gen(tiny_train(dir, "--resume auto --set train.steps=10"), dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("resumed from") && Catch::Contains("at step 6"));
  CHECK_THAT(r.output, Catch::Contains("train.steps: 6 -> 10"));
  CHECK(fs::read_symlink(run + "/checkpoints/latest.pt") == "step_0000010.pt");
  CHECK_FALSE(fs::exists(run + "/checkpoints/step_0000006.pt"));  // keep_last: 2
  CHECK(fs::exists(run + "/checkpoints/step_0000009.pt"));
  CHECK(count_lines(read_text(run + "/metrics.jsonl")) == 5);

  r = run_gen("sample --ckpt " + run + "/checkpoints/latest.pt --n 10 --nrow 5 --seed 4 --out " + (dir / "s.png"), dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  const cv::Mat s = cv::imread(dir / "s.png", cv::IMREAD_UNCHANGED);
  REQUIRE_FALSE(s.empty());
  CHECK(s.cols == 5 * 18 + 2);
  CHECK(s.rows == 2 * 18 + 2);

  r = run_gen(tiny_train(dir, "--resume auto --set model.latent_dim=9"), dir);
  CHECK(r.code == 3);
  CHECK_THAT(r.output, Catch::Contains("cannot resume") && Catch::Contains("model.latent_dim"));
}

TEST_CASE("smoke: for every family, stopping and resuming gives the same losses and weights as one straight run",
          "[smoke]") {
  for (const char* family : {"dcgan", "vae", "transformer", "classifier", "diffusion"}) {
    INFO(family);
    TempDir dir;
    fs::create_directories(dir / "data");
    gen::test::write_tiny_mnist(dir / "data", 64, 28);
    gen::test::write_text(dir / "data/input.txt", tiny_text());
    // Checkpoints, evaluations (tiny vae) and grids all fall on step 3, where the run stops:
    // what an evaluation or a grid draws from the random stream must not matter.
    const std::string train = std::string("train configs/tiny/") + family + ".yaml --set data.root=" + dir.path() +
                              "/data --set out_dir=" + dir.path() + "/runs --set train.log_every=1";
    REQUIRE(run_gen(train + " --set name=straight", dir).code == 0);
    const Run stopped = run_gen(train + " --set name=halves --stop-at 3", dir);
    REQUIRE(stopped.code == 0);
    // The hint to continue names the run: without --set name=halves it would resume another.
    CHECK_THAT(stopped.output, Catch::Contains("continue with: gen train configs/tiny/" + std::string(family) +
                                               ".yaml --set data.root=") &&
                                   Catch::Contains("--set name=halves --resume auto"));
    REQUIRE(run_gen(train + " --set name=halves --resume auto", dir).code == 0);

    const auto a = losses(read_text(dir / "runs/straight/metrics.jsonl"));
    const auto b = losses(read_text(dir / "runs/halves/metrics.jsonl"));
    REQUIRE(a.size() >= 6);
    CHECK(a == b);
    if (std::string(family) == "classifier") {  // draws no samples: its held-out figures, from the final weights
      std::string figures[2];
      for (int i = 0; i < 2; ++i) {
        const std::string name = i == 0 ? "straight" : "halves";
        const std::string json = dir.path() + "/" + name + ".json";
        REQUIRE(run_gen("eval --ckpt " + dir.path() + "/runs/" + name + "/checkpoints/latest.pt --json " + json, dir)
                    .code == 0);
        figures[i] = YAML::Dump(YAML::LoadFile(json)["figures"]);
      }
      CHECK_THAT(figures[0], Catch::Contains("val_acc"));
      CHECK(figures[0] == figures[1]);
      continue;
    }
    const bool text = std::string(family) == "transformer";
    check_same_samples(dir, "straight", "halves", text ? "--seed 1 --tokens 40" : "--seed 1", text ? ".txt" : ".png");
  }
}

TEST_CASE("smoke: verify-resume reports identical runs, also under a cosine schedule", "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "data");
  gen::test::write_tiny_mnist(dir / "data", 64, 28);
  CHECK_THAT(check_resumes_identically("configs/tiny/vae.yaml --steps 8 --set optim.schedule=cosine --set "
                                       "optim.min_lr=0.0001 --set data.root=" + dir.path() + "/data",
                                       dir)
                 .output,
             Catch::Contains("8 logged steps identical"));
}

TEST_CASE("smoke: a lazy-R1 DCGAN stopped between two R1 steps resumes as if never stopped", "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  // Stopped at 3, r1 every 4th step: the resumed run must not measure R1 at step 3.
  check_resumes_identically("configs/tiny/dcgan.yaml --steps 6 --set model.r1=1 --set model.r1_every=4" + sets, dir);
}

TEST_CASE(
    "smoke: train.ema may not change on resume, and with --force the average starts anew or is dropped, saying so",
    "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "data");
  gen::test::write_text(dir / "data/input.txt", tiny_text());
  const std::string train = "train configs/tiny/transformer.yaml" + tiny_sets(dir);
  REQUIRE(run_gen(train + " --stop-at 3", dir).code == 0);
  Run r = run_gen(train + " --resume auto --set train.ema=0.9", dir);
  INFO(r.output);
  CHECK(r.code == 3);
  CHECK_THAT(r.output, Catch::Contains("cannot resume") && Catch::Contains("train.ema"));
  r = run_gen(train + " --resume auto --set train.ema=0.9 --force", dir);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("a new one starts from the resumed weights"));
  const std::string ckpt = dir.path() + "/runs/transformer/checkpoints/latest.pt";
  CHECK(run_gen("sample --tokens 20 --ckpt " + ckpt, dir).code == 0);  // the average was saved with the run

  // And the other way: a run with an average resumed without one.
  REQUIRE(run_gen(train + " --set name=off --set train.ema=0.9 --stop-at 3", dir).code == 0);
  r = run_gen(train + " --set name=off --resume auto --force", dir);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("weight average is dropped"));
}

TEST_CASE("smoke: a second writer on a run folder is refused at once, and the first trains as if alone", "[smoke]") {
  TempDir dir;
  const std::string train =
      "train configs/tiny/dcgan.yaml" + with_tiny_mnist(dir) +
      " --set train.steps=1200 --set train.ckpt_every=400 --set train.sample_every=0 --set train.log_every=100"
      " --set runtime.threads=1";
  REQUIRE(run_gen(train + " --set name=solo", dir).code == 0);
  // The first writer runs in the background; the second starts once the first holds the lock.
  const std::string first = background_gen(train + " --set name=shared", dir / "first.log", dir / "first.rc");
  REQUIRE(std::system(first.c_str()) == 0);
  REQUIRE(wait_for_text(dir / "runs/shared/metrics.jsonl", "\"step\""));  // the first is training
  const Run second = run_gen(train + " --set name=shared --resume auto", dir);
  INFO(second.output);
  CHECK(second.code == 2);
  CHECK_THAT(second.output, Catch::Contains("runs/shared is being written by another gen (PID "));
  REQUIRE_FALSE(fs::exists(dir / "first.rc"));  // the first was still training: the refusal meant something
  REQUIRE(wait_for_text(dir / "first.rc", "0"));
  CHECK(losses(read_text(dir / "runs/solo/metrics.jsonl")) == losses(read_text(dir / "runs/shared/metrics.jsonl")));
  check_same_samples(dir, "solo", "shared", "--seed 3 --n 8", ".png");
}

TEST_CASE("smoke: vae trains, evaluates, and samples in every mode", "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "data");
  gen::test::write_tiny_mnist(dir / "data", 64, 28);
  Run r = run_gen(
      "train configs/tiny/vae.yaml --set data.root=" + dir.path() + "/data --set out_dir=" + dir.path() + "/runs", dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  const std::string metrics = read_text(dir / "runs/vae/metrics.jsonl");
  CHECK_THAT(metrics, Catch::Contains("\"recon\":") && Catch::Contains("\"kl\":") && Catch::Contains("\"val_loss\":"));
  const std::string ckpt = dir / "runs/vae/checkpoints/latest.pt";
  struct Mode {
    const char* args;
    int cols, rows;
  };
  for (const Mode& m :
       {Mode{"--mode prior --n 16", 4 * 18 + 2, 4 * 18 + 2}, Mode{"--mode recon --n 10", 8 * 18 + 2, 4 * 18 + 2},
        Mode{"--mode interp --n 3", 10 * 18 + 2, 3 * 18 + 2}}) {
    INFO(m.args);
    r = run_gen(std::string("sample --ckpt ") + ckpt + " " + m.args + " --data " + dir.path() + "/data --out " +
                    (dir / "v.png"),
                dir);
    REQUIRE(r.code == 0);
    const cv::Mat img = cv::imread(dir / "v.png", cv::IMREAD_UNCHANGED);
    CHECK(img.cols == m.cols);
    CHECK(img.rows == m.rows);
  }
  r = run_gen("sample --ckpt " + ckpt + " --mode text", dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("prior|recon|interp"));
}

TEST_CASE("smoke: a diffusion model trains, then samples with each sampler, guidance and a trajectory grid",
          "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "data");
  gen::test::write_tiny_mnist(dir / "data", 64, 28);
  Run r = run_gen("train configs/tiny/diffusion.yaml --set data.root=" + dir.path() + "/data --set out_dir=" +
                      dir.path() + "/runs",
                  dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(read_text(dir / "runs/diffusion/metrics.jsonl"), Catch::Contains("\"val_loss\":"));
  const std::string sample = "sample --ckpt " + (dir / "runs/diffusion/checkpoints/latest.pt") + " --out ";
  auto rows_cols = [&](const std::string& args) {
    const Run s = run_gen(sample + (dir / "d.png") + " " + args, dir);
    INFO(s.output);
    REQUIRE(s.code == 0);
    const cv::Mat img = cv::imread(dir / "d.png", cv::IMREAD_UNCHANGED);
    return std::make_pair(img.rows, img.cols);
  };
  CHECK(rows_cols("--n 20").first == 10 * 18 + 2);  // one class per row, 16 px images
  // One row per sample, one column per shown step: the noise and the 5 steps of model.sample_steps.
  const auto [rows, cols] = rows_cols("--mode trajectory --n 3 --class 4");
  CHECK(rows == 3 * 18 + 2);
  CHECK(cols >= 6 * 18 + 2);
  CHECK(cols < 7 * 18 + 2);
  CHECK(rows_cols("--mode trajectory --n 2 --class 4 --steps 30 --sampler ddpm").second >= 11 * 18 + 2);
  auto bytes_of = [&](const std::string& args) {
    REQUIRE(run_gen(sample + (dir / "s.png") + " --class 3 --n 4 " + args, dir).code == 0);
    return read_text(dir / "s.png");
  };
  const std::string a = bytes_of("--sampler ddpm --steps 7 --seed 3");
  CHECK(bytes_of("--sampler ddpm --steps 7 --seed 3") == a);
  CHECK(bytes_of("--sampler ddpm --steps 7 --seed 4") != a);
  CHECK(bytes_of("--sampler ddim --steps 7 --seed 3 --eta 1") != a);
  CHECK(bytes_of("--seed 3 --guidance 3") != bytes_of("--seed 3 --guidance 1"));
  // Guidance in an interval of noise levels only: neither the guided nor the unguided draw.
  const std::string in_interval = bytes_of("--seed 3 --guidance 3 --guidance-interval 0.3,1");
  CHECK(in_interval != bytes_of("--seed 3 --guidance 3"));
  CHECK(in_interval != bytes_of("--seed 3 --guidance 1"));
  // Autoguidance by the run's earlier checkpoint (the same classes) in place of the class-less output.
  const std::string early = dir / "runs/diffusion/checkpoints/step_0000003.pt";
  CHECK(bytes_of("--seed 3 --guidance 2 --guide " + early) != bytes_of("--seed 3 --guidance 2"));
  for (const auto& [args, says] : std::vector<std::pair<std::string, std::string>>{
           {"--guide " + early, "--guide " + early + " (step 3): has no effect at guidance 1"},
           {"--sampler heun", "--sampler: sampler heun draws from flow-matching models"},
           {"--guidance-interval 0.3,1", "--guidance-interval: has no effect at guidance 1"},
           {"--guidance 2 --guidance-interval 0.8,0.2", "--guidance-interval 0.8,0.2: expected LO < HI"},
           {"--guidance 2 --guidance-interval 0.2,1.5", "--guidance-interval"},
           {"--steps 101", "--steps 101: the model's schedule has 100 steps"},
           {"--class 10", "--class 10: the model knows classes 0 to 9"},
           {"--mode recon", "samples in modes prior|trajectory"}}) {
    INFO(args);
    r = run_gen(sample + (dir / "x.png") + " " + args, dir);
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Catch::Contains(says));
    CHECK(!fs::exists(dir / "x.png"));
  }
  // The same image shape and classes are not the same images: a guide of another data kind is refused.
  r = run_gen("train configs/tiny/diffusion.yaml --set data.kind=fashion_mnist --set train.steps=3 --set data.root=" +
                  dir.path() + "/data --set out_dir=" + dir.path() + "/other --set model.eta=0.5",
              dir);
  REQUIRE(r.code == 0);
  const std::string other = dir / "other/diffusion/checkpoints/latest.pt";
  r = run_gen(sample + (dir / "x.png") + " --guidance 2 --guide " + other, dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains(other + ": trained on data.kind fashion_mnist, the model on mnist"));
  CHECK(!fs::exists(dir / "x.png"));
  // The diffusers export says what its scheduler does not carry of the model's sampler.
  r = run_gen("export --ckpt " + other + " --format diffusers --out " + (dir / "other_diffusers"), dir);
  CHECK(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("model.eta 0.5: pass eta=0.5 to DDIMPipeline"));
}

TEST_CASE("smoke: transformer trains with evaluation and prints text from a prompt", "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "data");
  gen::test::write_text(dir / "data/input.txt", tiny_text());
  Run r = run_gen("train configs/tiny/transformer.yaml --set data.root=" + dir.path() +
                      "/data --set out_dir=" + dir.path() + "/runs",
                  dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("val_bpc") && Catch::Contains("tok/s"));
  CHECK_THAT(read_text(dir / "runs/transformer/metrics.jsonl"),
             Catch::Contains("\"val_loss\":") && Catch::Contains("\"train_bpc\":"));
  CHECK(fs::exists(dir / "runs/transformer/samples/step_0000006.txt"));
  const std::string ckpt = dir / "runs/transformer/checkpoints/latest.pt";
  r = run_gen(
      "sample --ckpt " + ckpt + " --prompt ROMEO: --tokens 50 --temperature 0.8 --top-k 5 --out " + (dir / "t.txt"),
      dir);
  REQUIRE(r.code == 0);
  const std::string text = read_text(dir / "t.txt");
  CHECK(text.size() == 56);  // ASCII: one byte per character
  CHECK(text.rfind("ROMEO:", 0) == 0);
  r = run_gen("sample --ckpt " + ckpt + " --prompt 'JULIET~' --tokens 5", dir);
  CHECK(r.code == 4);
  CHECK_THAT(r.output, Catch::Contains("'~'"));
}

TEST_CASE("smoke: a class-conditional wgan-gp DCGAN samples one class per row, or --class N", "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "data");
  gen::test::write_tiny_mnist(dir / "data", 64, 28);
  Run r = run_gen(tiny_train(dir, "--set model.conditional=true --set model.loss=wgan-gp --set model.n_critic=2"), dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(read_text(dir / "runs/dcgan/metrics.jsonl"), Catch::Contains("\"gp\":"));
  const std::string ckpt = dir / "runs/dcgan/checkpoints/latest.pt";
  r = run_gen("sample --ckpt " + ckpt + " --n 30 --out " + (dir / "rows.png"), dir);
  REQUIRE(r.code == 0);
  const cv::Mat rows = cv::imread(dir / "rows.png", cv::IMREAD_UNCHANGED);
  const int margin = rows.cols - (3 * 18 + 2);  // 3 per class, after a margin with the class labels
  CHECK((margin > 5 && margin < 30));
  CHECK(rows.rows == 10 * 18 + 2);  // 10 classes
  CHECK(cv::countNonZero(rows(cv::Rect(0, 0, margin, rows.rows))) > 10 * 5);  // a drawn label per row
  r = run_gen("sample --ckpt " + ckpt + " --n 64 --out " + (dir / "sixty.png"), dir);
  CHECK(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("--n 64: drew 60, 6 for each of the 10 classes or codes") &&
                           Catch::Contains("--n 70 for the next size up"));
  r = run_gen("sample --ckpt " + ckpt + " --n 30 --nrow 5 --out " + (dir / "five.png"), dir);
  CHECK(r.code == 0);
  CHECK(cv::imread(dir / "five.png", cv::IMREAD_UNCHANGED).cols == 5 * 18 + 2);  // other rows: no labels
  r = run_gen("sample --ckpt " + ckpt + " --class 7 --n 4 --out " + (dir / "sevens.png"), dir);
  CHECK(r.code == 0);
  r = run_gen("sample --ckpt " + ckpt + " --class 12 --n 4 --out " + (dir / "bad.png"), dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("classes 0 to 9"));
}

TEST_CASE("smoke: gen sample --format files writes exactly N numbered PNGs, the same for the same seed", "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  REQUIRE(run_gen("train configs/tiny/dcgan.yaml --set model.conditional=true" + sets, dir).code == 0);
  const std::string ckpt = dir / "runs/dcgan/checkpoints/latest.pt";
  // 300 = one batch of 256 asked, 250 drawn (25 rows of the 10 classes), then 50 more.
  Run r = run_gen("sample --ckpt " + ckpt + " --format files --n 300 --out " + (dir / "a"), dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(gen::list_folder(dir / "a").size() == 300);
  CHECK(fs::exists(dir / "a/000299.png"));
  const cv::Mat first = cv::imread(dir / "a/000000.png", cv::IMREAD_UNCHANGED);
  CHECK((first.rows == 16 && first.cols == 16 && first.channels() == 1));
  REQUIRE(run_gen("sample --ckpt " + ckpt + " --format files --n 3 --out " + (dir / "b"), dir).code == 0);
  REQUIRE(run_gen("sample --ckpt " + ckpt + " --format files --n 3 --seed 1 --out " + (dir / "c"), dir).code == 0);
  CHECK(read_text(dir / "a/000002.png") == read_text(dir / "b/000002.png"));
  CHECK(read_text(dir / "a/000002.png") != read_text(dir / "c/000002.png"));
  r = run_gen("sample --ckpt " + ckpt + " --format files --n 3 --out " + (dir / "a"), dir);  // not empty
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("the folder is not empty"));
}

TEST_CASE("smoke: bad input ends in one line and a distinct exit code", "[smoke]") {
  TempDir dir;
  gen::test::write_text(dir / "bad.yaml", "model: {kind: dcgan}\ntrain: {steps: lots}\n");
  Run r = run_gen("train " + (dir / "bad.yaml"), dir);
  CHECK(r.code == 3);
  CHECK(count_lines(r.output) == 1);
  CHECK_THAT(r.output, Catch::StartsWith("gen: error: ") && Catch::Contains("bad.yaml:2:16: train.steps"));

  r = run_gen("train configs/tiny/dcgan.yaml --set data.root=" + dir.path() + "/nowhere --set out_dir=" + dir.path(),
              dir);
  CHECK(r.code == 4);
  CHECK_THAT(r.output,
             Catch::Contains("gen: error: ") && Catch::Contains("nowhere/train-images-idx3-ubyte.gz: file not found"));
  CHECK_FALSE(fs::exists(dir / "dcgan"));  // a run that cannot start leaves no folder behind

  gen::test::write_text(dir / "junk.pt", "not a checkpoint");
  r = run_gen("sample --ckpt " + (dir / "junk.pt"), dir);
  CHECK(r.code == 5);
  CHECK(count_lines(r.output) == 1);
  CHECK_THAT(r.output, Catch::Contains("junk.pt: not a gen checkpoint"));
  CHECK_FALSE(fs::exists(dir / "samples.png"));

  r = run_gen("export --ckpt " + (dir / "junk.pt") + " --out " + (dir / "w.safetensors"), dir);
  CHECK(r.code == 5);
  CHECK_THAT(r.output, Catch::Contains("junk.pt: not a gen checkpoint"));
  CHECK_FALSE(fs::exists(dir / "w.safetensors"));
  r = run_gen("export --ckpt " + (dir / "junk.pt") + " --format pt --out " + (dir / "w.safetensors"), dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--out") && Catch::Contains("the name says safetensors but --format is pt"));

  r = run_gen("config show configs/tiny/dcgan.yaml --set train.stpes=1", dir);
  CHECK(r.code == 3);
  CHECK_THAT(r.output, Catch::Contains("did you mean 'train.steps'"));

  // Command-line mistakes are usage errors: exit 2 and one line, whatever CLI11 calls them.
  for (const char* args :
       {"train", "train configs/tiny/dcgan.yaml --bogus", "sample --ckpt x.pt --n 0", "nosuchcommand"}) {
    INFO(args);
    r = run_gen(args, dir);
    CHECK(r.code == 2);
    CHECK(count_lines(r.output) == 1);
    CHECK_THAT(r.output, Catch::StartsWith("gen: error: ") && Catch::EndsWith("(see --help)\n"));
  }
  CHECK(run_gen("train --help", dir).code == 0);
  CHECK(run_gen("--version", dir).code == 0);
}

TEST_CASE("smoke: config show and check", "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "data");
  gen::test::write_tiny_mnist(dir / "data", 32, 28);
  Run r = run_gen("config show configs/tiny/dcgan.yaml --set train.steps=77", dir);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("steps: 77") && Catch::Contains("g_channels: 8"));
  r = run_gen("config check configs/tiny/dcgan.yaml --set data.root=" + dir.path() + "/data", dir);
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("ok: dcgan") && Catch::Contains("32 images 1x16x16"));
}

namespace {
YAML::Node eval_json(const TempDir& dir, const std::string& args, Run& r) {
  r = run_gen("eval " + args + " --json " + (dir / "eval.json"), dir);
  if (r.code != 0) return YAML::Node();
  return YAML::LoadFile(dir / "eval.json");  // JSON is YAML 1.2 flow syntax
}
}  // namespace

TEST_CASE("smoke: gen eval writes JSON figures for every tiny family, image figures name their feature network",
          "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  gen::test::write_text(dir / "data/input.txt", tiny_text());
  for (const char* family : {"classifier", "dcgan", "vae", "transformer", "diffusion"}) {
    const Run r = run_gen(std::string("train configs/tiny/") + family + ".yaml" + sets, dir);
    INFO(r.output);
    REQUIRE(r.code == 0);
  }
  auto ckpt = [&](const char* run) { return dir.path() + "/runs/" + run + "/checkpoints/latest.pt"; };
  Run r;

  YAML::Node j = eval_json(dir, "--ckpt " + ckpt("classifier"), r);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(j["info"]["model_kind"].as<std::string>() == "classifier");
  const double acc = j["figures"]["val_acc"].as<double>();
  CHECK((acc >= 0 && acc <= 1));
  r = run_gen("sample --ckpt " + ckpt("classifier"), dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("draws no samples"));

  // An image generator without a feature network: the other figures, and a line naming the
  // command that trains one; a feature network asked for by name must exist.
  r = run_gen("eval --ckpt " + ckpt("dcgan") + " --n 32", dir);
  CHECK(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("image figures (FID/KID/IS) skipped: ") &&
                           Catch::Contains("gen train configs/classifier_mnist.yaml"));
  r = run_gen("eval --ckpt " + ckpt("dcgan") + " --n 32 --features " + (dir / "none.pt"), dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("none.pt: feature network checkpoint not found"));

  j = eval_json(dir, "--ckpt " + ckpt("dcgan") + " --features " + ckpt("classifier") + " --n 40", r);
  REQUIRE(r.code == 0);
  const YAML::Node f = j["figures"];
  // A DCGAN trained for a few steps is far from the data, farther than the real images (the
  // tiny data's train and test images are alike: their FID is about 0).
  INFO("fid " << f["fid_mnist_cnn"].as<double>() << ", real " << f["real_fid_mnist_cnn"].as<double>());
  CHECK(f["real_fid_mnist_cnn"].as<double>() >= 0);
  CHECK(f["fid_mnist_cnn"].as<double>() > 0);
  CHECK(f["fid_mnist_cnn"].as<double>() > f["real_fid_mnist_cnn"].as<double>());
  CHECK(f["kid_mnist_cnn"].IsDefined());
  const double is = f["is_mnist_cnn"].as<double>();
  CHECK((is >= 1 && is <= 10.0001));
  CHECK(f["class_coverage"].as<double>() <= 1);
  CHECK_THAT(j["info"]["feature_net"].as<std::string>(),
             Catch::Contains("mnist_cnn") && Catch::Contains("not ImageNet"));
  CHECK_THAT(r.output, Catch::Contains("fid_mnist_cnn"));  // the table on stdout
  // every command keeps freed memory by default (util/allocator.h), and says so in its report.
  CHECK_THAT(j["info"]["malloc"].as<std::string>(), Catch::Contains("gen's default"));

  // A class-conditional diffusion model: how many samples show the class asked for, and the
  // sampler that drew them, as asked on the command line.
  j = eval_json(dir, "--ckpt " + ckpt("diffusion") + " --features " + ckpt("classifier") +
                         " --n 40 --sampler ddpm --steps 3 --guidance 2 --guidance-interval 0.3,1",
                r);
  INFO(r.output);
  REQUIRE(r.code == 0);
  const double class_accuracy = j["figures"]["class_accuracy"].as<double>();
  CHECK((class_accuracy >= 0 && class_accuracy <= 1));
  CHECK(j["info"]["sampler"].as<std::string>() == "ddpm");
  CHECK(j["info"]["steps"].as<std::string>() == "3");
  CHECK(j["info"]["guidance"].as<std::string>() == "2");
  CHECK(j["info"]["guidance_interval"].as<std::string>() == "0.3,1");
  CHECK(j["figures"]["fid_mnist_cnn"].as<double>() > 0);
  j = eval_json(dir, "--ckpt " + ckpt("diffusion") + " --features " + ckpt("classifier") +
                         " --n 20 --guidance 2 --guide " + ckpt("diffusion") + " --no-baseline",
                r);
  REQUIRE(r.code == 0);
  CHECK(j["info"]["guide"].as<std::string>() == ckpt("diffusion") + " (step 6)");
  r = run_gen("eval --ckpt " + ckpt("diffusion") + " --guidance 2 --guide " + ckpt("classifier"), dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--guide " + ckpt("classifier") + " (step 6): holds no diffusion model"));
  r = run_gen("eval --ckpt " + ckpt("vae") + " --guidance 2 --guide " + ckpt("diffusion"), dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("only diffusion models are guided by another checkpoint"));
  r = run_gen("eval --ckpt " + ckpt("vae") + " --steps 3", dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--steps: applies to diffusion models"));
  r = run_gen("eval --ckpt " + ckpt("diffusion") + " --sampler euler", dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("sampler euler draws from flow-matching models"));
  // A diffusers folder holds diffusion models only, and never lands on a folder with files.
  r = run_gen("export --ckpt " + ckpt("vae") + " --format diffusers --out " + (dir / "vae_diffusers"), dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--format diffusers: writes diffusion models"));
  CHECK(!fs::exists(dir / "vae_diffusers"));
  REQUIRE(run_gen("export --ckpt " + ckpt("diffusion") + " --format diffusers --out " + (dir / "unet"), dir).code == 0);
  CHECK(fs::exists(dir / "unet/unet/config.json"));
  r = run_gen("export --ckpt " + ckpt("diffusion") + " --format diffusers --out " + (dir / "unet"), dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("exists and is not empty"));
  // A transformers folder holds Transformers only, with their tokenizer.
  r = run_gen("export --ckpt " + ckpt("vae") + " --format hf --out " + (dir / "vae_hf"), dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--format hf: writes Transformer language models"));
  CHECK(!fs::exists(dir / "vae_hf"));
  REQUIRE(run_gen("export --ckpt " + ckpt("transformer") + " --format hf --out " + (dir / "gpt"), dir).code == 0);
  CHECK(fs::exists(dir / "gpt/model.safetensors"));
  CHECK(fs::exists(dir / "gpt/tokenizer.json"));
  r = run_gen("export --ckpt " + ckpt("transformer") + " --format hf --out " + (dir / "gpt"), dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("exists and is not empty"));

  j = eval_json(dir, "--ckpt " + ckpt("vae") + " --iw-samples 20 --skip-images", r);
  REQUIRE(r.code == 0);
  CHECK(j["figures"]["val_loss"].as<double>() > 0);
  CHECK(j["figures"]["val_nll_iwae"].as<double>() <= j["figures"]["val_neg_elbo_mc"].as<double>());
  CHECK(j["figures"]["val_bits_per_dim"].as<double>() > 0);
  // The tiny VAE keeps an EMA; --no-ema evaluates the raw weights, which differ from it.
  const double ema_loss = j["figures"]["val_loss"].as<double>();
  j = eval_json(dir, "--ckpt " + ckpt("vae") + " --skip-images --no-ema", r);
  REQUIRE(r.code == 0);
  CHECK(j["info"]["weights"].as<std::string>() == "raw");
  CHECK(j["figures"]["val_loss"].as<double>() != Approx(ema_loss).epsilon(1e-6));

  j = eval_json(dir, "--ckpt " + ckpt("transformer"), r);
  REQUIRE(r.code == 0);
  const double loss = j["figures"]["val_loss"].as<double>();
  CHECK(j["figures"]["val_bpc"].as<double>() == Approx(loss / std::log(2.0)));
  CHECK(j["figures"]["val_perplexity"].as<double>() == Approx(std::exp(loss)));
  CHECK(j["figures"]["val_bpb"].as<double>() == Approx(loss / std::log(2.0)));  // ASCII text: a byte per character
}

TEST_CASE("smoke: gen eval --images scores image files with a feature network, against its held-out split or a "
          "reference folder",
          "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  for (const char* family : {"classifier", "dcgan"}) {
    const Run r = run_gen(std::string("train configs/tiny/") + family + ".yaml" + sets, dir);
    INFO(r.output);
    REQUIRE(r.code == 0);
  }
  const std::string clf = dir / "runs/classifier/checkpoints/latest.pt";
  const std::string dcgan = dir / "runs/dcgan/checkpoints/latest.pt";
  REQUIRE(run_gen("sample --ckpt " + dcgan + " --format files --n 40 --out " + (dir / "a"), dir).code == 0);
  REQUIRE(run_gen("sample --ckpt " + dcgan + " --format files --n 40 --seed 1 --out " + (dir / "b"), dir).code == 0);
  Run r;
  // Against the classifier's own held-out split (its config's data.root).
  YAML::Node j = eval_json(dir, "--images " + (dir / "a") + " --features " + clf, r);
  INFO(r.output);
  REQUIRE(r.code == 0);
  const double fid_real = j["figures"]["fid_mnist_cnn"].as<double>();
  CHECK(fid_real > 0);
  CHECK_THAT(j["figures"].begin()->first.as<std::string>(), Catch::Contains("fid_mnist_cnn"));
  CHECK(j["info"]["reference"].as<std::string>() == "the feature network's held-out split");
  CHECK((j["figures"]["is_mnist_cnn"].as<double>() >= 1));
  // The same folder on both sides is at distance 0; another seed's images are not.
  j = eval_json(dir, "--images " + (dir / "a") + " --reference " + (dir / "a") + " --features " + clf, r);
  REQUIRE(r.code == 0);
  CHECK(std::abs(j["figures"]["fid_mnist_cnn"].as<double>()) < 1e-6);
  // Uniform noise as the reference: far from the samples in any classifier's features.
  fs::create_directories(dir / "noise");
  cv::RNG rng(7);
  for (int i = 0; i < 40; ++i) {
    cv::Mat noise(28, 28, CV_8UC1);
    rng.fill(noise, cv::RNG::UNIFORM, 0, 256);
    gen::write_png(dir / ("noise/" + std::to_string(i) + ".png"), noise);
  }
  j = eval_json(dir, "--images " + (dir / "a") + " --reference " + (dir / "noise") + " --features " + clf, r);
  REQUIRE(r.code == 0);
  const double fid_noise = j["figures"]["fid_mnist_cnn"].as<double>();
  INFO("against the held-out split " << fid_real << ", against noise " << fid_noise);
  CHECK(std::abs(fid_noise - fid_real) > 0.01 * fid_real);
  j = eval_json(dir, "--images " + (dir / "a") + " --reference " + (dir / "noise") + " --features " + clf + " --n 30", r);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("30 images of") && Catch::Contains("vs 30 " + (dir / "noise")));

  // Refusals: one line each, exit 2 (usage) or 3 (data), nothing written.
  r = run_gen("eval --images " + (dir / "a"), dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--images needs --features"));
  r = run_gen("eval --images " + (dir / "a") + " --features " + clf + " --steps 3", dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--steps") && Catch::Contains("--images"));
  r = run_gen("eval --images " + (dir / "a") + " --ckpt " + dcgan + " --features " + clf, dir);
  CHECK(r.code == 2);
  r = run_gen("eval --ckpt " + dcgan + " --reference " + (dir / "a"), dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--reference") && Catch::Contains("--images"));
  fs::create_directories(dir / "empty");
  r = run_gen("eval --images " + (dir / "empty") + " --features " + clf + " --json " + (dir / "e.json"), dir);
  CHECK(r.code == 4);
  CHECK_THAT(r.output, Catch::Contains((dir / "empty") + ": no readable PNG or JPEG images"));
  CHECK_FALSE(fs::exists(dir / "e.json"));
}

TEST_CASE("smoke: with a feature network, train.eval_every logs FID and IS to metrics.jsonl", "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  Run r = run_gen("train configs/tiny/classifier.yaml" + sets + " --set name=classifier_mnist", dir);
  REQUIRE(r.code == 0);
  // eval.features: auto finds out_dir/classifier_mnist.
  r = run_gen("train configs/tiny/dcgan.yaml" + sets + " --set train.eval_every=3 --set eval.samples=32", dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  const std::string metrics = read_text(dir / "runs/dcgan/metrics.jsonl");
  CHECK_THAT(metrics, Catch::Contains("\"fid_mnist_cnn\":") && Catch::Contains("\"is_mnist_cnn\":") &&
                          Catch::Contains("\"real_fid_mnist_cnn\":"));
}

TEST_CASE("smoke: non-finite steps are skipped, then rolled back with a smaller lr, exhausted rollbacks stop cleanly",
          "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "data");
  gen::test::write_tiny_mnist(dir / "data", 64, 28);
  const std::string train = tiny_train(
      dir, "--set train.steps=12 --set train.ckpt_every=3 --set train.log_every=3 --set guard.max_bad_steps=3");
  // Steps 7, 8, 9 (0-based) get NaN images once: three bad steps in a row, which the guard reads
  // at the next log line and checkpoint (step 12) -> back to step 9's checkpoint.
  Run r = run_gen(train, dir, "GEN_FAULT_NAN_STEPS=7-10 ");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output,
             Catch::Contains("non-finite") && Catch::Contains("rolled back to") && Catch::Contains("scaled by 0.5"));
  const std::string metrics = read_text(dir / "runs/dcgan/metrics.jsonl");
  CHECK_THAT(metrics, Catch::Contains("{\"step\":9,\"rollback_from\":12") && Catch::Contains("\"lr_scale\":0.5"));
  CHECK_THAT(metrics, Catch::Contains("\"step\":12"));
  // The discarded steps after the checkpoint are gone from the log: its steps never go back.
  std::istringstream lines(metrics);
  long long previous = -1, at = -1;
  for (std::string line; std::getline(lines, line);) {
    REQUIRE(std::sscanf(line.c_str(), "{\"step\":%lld", &at) == 1);
    CHECK(at >= previous);
    previous = at;
  }
  CHECK(fs::read_symlink(dir / "runs/dcgan/checkpoints/latest.pt") == "step_0000012.pt");
  // The weights never took a NaN: the final checkpoint samples.
  r = run_gen("sample --ckpt " + (dir / "runs/dcgan/checkpoints/latest.pt") + " --out " + (dir / "s.png"), dir);
  CHECK(r.code == 0);

  // No rollbacks allowed: a clear stop (exit 7), and the newest checkpoint still loads.
  fs::remove_all(dir / "runs");
  r = run_gen(train + " --set guard.max_rollbacks=0", dir, "GEN_FAULT_NAN_STEPS=4-20 ");
  CHECK(r.code == 7);
  CHECK_THAT(r.output, Catch::Contains("non-finite") && Catch::Contains("guard.max_rollbacks") &&
                           Catch::Contains("--resume auto"));
  r = run_gen("sample --ckpt " + (dir / "runs/dcgan/checkpoints/latest.pt") + " --out " + (dir / "s.png"), dir);
  CHECK(r.code == 0);
}

TEST_CASE("smoke: a checkpoint that cannot be written stops the run and leaves the previous one intact, or warns",
          "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "data");
  gen::test::write_tiny_mnist(dir / "data", 64, 28);
  Run r = run_gen(tiny_train(dir, "--set train.steps=3"), dir);
  REQUIRE(r.code == 0);
  const std::string ckpt = dir / "runs/dcgan/checkpoints/step_0000003.pt";
  const auto size = fs::file_size(ckpt);
  // A file-size limit makes every checkpoint write fail as a full disk would (EFBIG, SIGXFSZ ignored).
  const std::string limit = "trap '' XFSZ; ulimit -f " + std::to_string(size / 1024 / 2) + "; ";
  r = run_gen(tiny_train(dir, "--resume auto"), dir, limit);
  INFO(r.output);
  CHECK(r.code == 5);
  CHECK_THAT(r.output, Catch::Contains("checkpoint not saved (the previous one is intact)"));
  CHECK(fs::file_size(ckpt) == size);
  CHECK(fs::read_symlink(dir / "runs/dcgan/checkpoints/latest.pt") == "step_0000003.pt");
  for (const auto& e : fs::directory_iterator(dir / "runs/dcgan/checkpoints")) {
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);  // no half-written file left
  }
  r = run_gen("sample --ckpt " + ckpt + " --out " + (dir / "s.png"), dir);
  CHECK(r.code == 0);

  // on_error: warn trains on past the failed save at step 6... until the run's last checkpoint, which must exist.
  r = run_gen(tiny_train(dir, "--resume auto --set train.steps=9 --set checkpoint.on_error=warn"), dir, limit);
  CHECK(r.code == 5);
  CHECK_THAT(r.output, Catch::Contains("training goes on") && Catch::Contains("step 9/9"));
}

TEST_CASE("smoke: train.keep_best keeps best.pt and best.json beside the pruned step checkpoints", "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  Run r = run_gen(
      "train configs/tiny/classifier.yaml" + sets + " --set train.keep_best=val_loss --set train.keep_last=1", dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  const std::string ckpts = dir / "runs/classifier/checkpoints";
  CHECK(fs::exists(ckpts + "/best.pt"));
  CHECK_FALSE(fs::exists(ckpts + "/step_0000003.pt"));  // pruned by keep_last: 1
  const YAML::Node best = YAML::LoadFile(ckpts + "/best.json");
  CHECK(best["metric"].as<std::string>() == "val_loss");
  const int step = best["step"].as<int>();
  CHECK((step == 3 || step == 6));
  CHECK_THAT(r.output, Catch::Contains("best val_loss so far"));
  r = run_gen("eval --ckpt " + ckpts + "/best.pt", dir);
  CHECK(r.code == 0);

  r = run_gen("train configs/tiny/classifier.yaml" + sets + " --set name=other --set train.keep_best=fid_mnist_cnn",
              dir);
  CHECK(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("keep_best: fid_mnist_cnn is not among") && Catch::Contains("val_acc"));
  r = run_gen("config check configs/tiny/classifier.yaml --set train.eval_every=0 --set train.keep_best=val_loss", dir);
  CHECK(r.code == 3);
  CHECK_THAT(r.output, Catch::Contains("train.keep_best: needs train.eval_every"));
}

TEST_CASE("smoke: gen --version names the LibTorch built with and running, CUDA, c10d backends, BLAS and CPU",
          "[smoke]") {
  TempDir dir;
  const Run v = run_gen("--version", dir);
  INFO(v.output);
  REQUIRE(v.code == 0);
  const std::string built = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                            std::to_string(TORCH_VERSION_PATCH);
  // Running the library it was built with: the runtime version is read from LibTorch itself.
  CHECK_THAT(v.output, Catch::StartsWith(std::string("gen ") + GEN_VERSION + "\n") &&
                           Catch::Contains("LibTorch: built with " + built + ", running " + built) &&
                           !Catch::Contains("a different version"));
  CHECK_THAT(v.output, Catch::Contains(at::hasCUDA() ? "CUDA: runtime " : "CUDA: not in this LibTorch"));
  CHECK_THAT(v.output, Catch::Contains("data parallel (c10d): Gloo") && Catch::Contains("BLAS: ") &&
                           Catch::Contains("LibTorch kernels: "));
  CHECK_THAT(v.output, Catch::Contains("gen's kernels: " + gen::cpu_kernels_isa()));
}

TEST_CASE("smoke: with LibTorch's MKL, gen answers MKL's CPU-vendor check (AVX-512 kernels on AMD), unless told not to",
          "[smoke]") {
  if (gen::torch_build_setting("BLAS_INFO") != "mkl") {
    WARN("this LibTorch's BLAS is not MKL: nothing to answer");
    return;
  }
  TempDir dir;
  // The line is written after asking the dynamic linker whose mkl_serv_intel_cpu_true MKL
  // reaches: gen's only when the executable exports it (apps/gen/CMakeLists.txt).
  const Run v = run_gen("--version", dir);
  INFO(v.output);
  CHECK_THAT(v.output, Catch::Contains("gen answers MKL's CPU-vendor check"));
  const Run own = run_gen("--version", dir, "GEN_MKL_VENDOR_CHECK=1 ");
  INFO(own.output);
  CHECK_THAT(own.output, Catch::Contains("MKL's own CPU-vendor check (GEN_MKL_VENDOR_CHECK=1)"));
}
