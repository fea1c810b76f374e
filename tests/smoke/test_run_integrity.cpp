// End-to-end: the guarantees of a run folder (README, "Faults"): exit codes scripts can trust,
// checkpoints before side outputs, one history per folder, resume checks, bounded input.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "cli/experiment.h"
#include "io/checkpoint.h"
#include "support/idx_writer.h"
#include "support/run_gen.h"

namespace fs = std::filesystem;
using namespace gen::test;  // TempDir, run_gen and the tiny-run helpers

namespace {

// The names of the step checkpoints in DIR, sorted.
std::vector<std::string> step_files(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("step_", 0) == 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// SIGKILLs every process whose command line contains `text`.
void kill_processes_naming(const std::string& text) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = read_text("/proc/" + pid + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(text) != std::string::npos && std::stol(pid) != ::getpid()) ::kill(std::stoi(pid), SIGKILL);
  }
}

}  // namespace

TEST_CASE("run folder: SIGINT and SIGTERM write a checkpoint and exit 130 and 143", "[smoke]") {
  TempDir dir;
  with_tiny_mnist(dir);
  const std::string train =
      tiny_train(dir, "") + " --set train.steps=100000 --set train.ckpt_every=0 --set train.sample_every=0";
  for (const auto& [sig, code] : {std::pair{SIGINT, 130}, std::pair{SIGTERM, 143}}) {
    const std::string name = "sig" + std::to_string(sig);
    const std::string run = dir / ("runs/" + name);
    REQUIRE(std::system(
                background_gen(train + " --set name=" + name, dir / (name + ".log"), dir / (name + ".rc")).c_str()) ==
            0);
    REQUIRE(wait_for_text(run + "/metrics.jsonl", "\"step\""));  // training
    const pid_t pid = lock_holder(run);
    REQUIRE(pid > 0);
    REQUIRE(::kill(pid, sig) == 0);
    REQUIRE(wait_for_text(dir / (name + ".rc"), "\n"));
    const std::string log = read_text(dir / (name + ".log"));
    INFO(log);
    CHECK(std::stoi(read_text(dir / (name + ".rc"))) == code);
    CHECK_THAT(log, Catch::Contains("interrupted at step") && Catch::Contains("--resume auto"));
    CHECK(fs::exists(run + "/checkpoints/latest.pt"));
    CHECK(run_gen("sample --ckpt " + run + "/checkpoints/latest.pt --out " + (dir / "s.png"), dir).code == 0);
  }
}

TEST_CASE("run folder: a signal during start-up exits 143 and says nothing was written", "[smoke]") {
  TempDir dir;
  with_tiny_mnist(dir);
  const std::string train = tiny_train(dir, "");
  Run r = run_gen(train, dir, "GEN_FAULT_STARTUP_SIGNAL=15 ");
  INFO(r.output);
  CHECK(r.code == 143);
  CHECK_THAT(r.output, Catch::Contains("SIGTERM during start-up: nothing was written"));
  CHECK_FALSE(fs::exists(dir / "runs/dcgan"));  // the folder it created is gone again

  // A resumed run interrupted before its first step keeps its folder as it was.
  REQUIRE(run_gen(train + " --stop-at 3", dir).code == 0);
  r = run_gen(train + " --resume auto", dir, "GEN_FAULT_STARTUP_SIGNAL=2 ");
  CHECK(r.code == 130);
  CHECK_THAT(r.output, Catch::Contains("SIGINT during start-up: nothing was written"));
  CHECK(fs::read_symlink(dir / "runs/dcgan/checkpoints/latest.pt") == "step_0000003.pt");
}

TEST_CASE("run folder: a failing sample grid costs no checkpoint, and the run exits 8", "[smoke]") {
  TempDir dir;
  with_tiny_mnist(dir);
  const std::string train = tiny_train(dir, "");
  REQUIRE(run_gen(train + " --stop-at 3", dir).code == 0);
  // A folder where the step-6 grid goes makes its write fail as a full or read-only disk would.
  fs::create_directories(dir / "runs/dcgan/samples/step_0000006.png/x");
  const Run r = run_gen(train + " --resume auto", dir);
  INFO(r.output);
  CHECK(r.code == 8);
  CHECK_THAT(r.output, Catch::Contains("sample grid of step 6 failed") &&
                           Catch::Contains("1 side output(s) failed (see above); every checkpoint was written"));
  CHECK(fs::read_symlink(dir / "runs/dcgan/checkpoints/latest.pt") == "step_0000006.pt");
}

TEST_CASE("run folder: images a sample grid cannot draw fail at start-up, before step 1", "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "data");
  std::vector<uint8_t> pixels(32 * 16 * 16 * 2, 100);  // 32 images of 16x16 with 2 channels, (N, H, W, C)
  write_bytes(dir / "data/two.idx", idx_bytes({32, 16, 16, 2}, pixels), false);
  const Run r = run_gen(tiny_train(dir, "--set data.kind=idx --set data.images=two.idx"), dir);
  INFO(r.output);
  CHECK(r.code == 4);
  CHECK_THAT(r.output, Catch::Contains("images with 2 channels cannot be drawn"));
  CHECK_FALSE(fs::exists(dir / "runs/dcgan"));
}

TEST_CASE("run folder: resume refuses other text, other image shapes, and other parameter shapes even with --force",
          "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "data");
  std::string text = tiny_text();
  write_text(dir / "data/input.txt", text);
  const std::string train = "train configs/tiny/transformer.yaml" + tiny_sets(dir);
  REQUIRE(run_gen(train + " --stop-at 3", dir).code == 0);

  // The same number of symbols, one of them another: ids would silently mean other characters.
  std::string swapped = text;
  for (char& c : swapped) c = c == 'y' ? 'Q' : c;
  write_text(dir / "data/input.txt", swapped);
  Run r = run_gen(train + " --resume auto --force", dir);
  INFO(r.output);
  CHECK(r.code == 4);
  CHECK_THAT(r.output, Catch::Contains("cannot resume: the data differs") && Catch::Contains("vocabulary: ") &&
                           Catch::Contains("-> 'Q'"));
  // One more symbol: the embedding has no row for it.
  write_text(dir / "data/input.txt", text + "#\n");
  r = run_gen(train + " --resume auto", dir);
  CHECK(r.code == 4);
  CHECK_THAT(r.output, Catch::Contains("vocabulary: ") && Catch::Contains("symbols ->"));
  write_text(dir / "data/input.txt", text);
  CHECK(run_gen(train + " --resume auto", dir).code == 0);  // the same text again: on it goes

  // Images: --force may change keys, never what the weights were shaped by.
  const std::string images = with_tiny_mnist(dir);
  const std::string gan = "train configs/tiny/dcgan.yaml" + images;
  REQUIRE(run_gen(gan + " --stop-at 3", dir).code == 0);
  r = run_gen(gan + " --resume auto --force --set model.g_channels=12", dir);
  INFO(r.output);
  CHECK(r.code == 5);
  CHECK_THAT(r.output, Catch::Contains("cannot load into model.kind dcgan as configured: generator.") &&
                           Catch::Contains("in the checkpoint,") && Catch::Contains("in the model as configured"));
  r = run_gen(gan + " --resume auto --force --set data.image_size=32", dir);
  CHECK(r.code == 4);
  CHECK_THAT(r.output, Catch::Contains("height: 16 -> 32"));
  CHECK(fs::read_symlink(dir / "runs/dcgan/checkpoints/latest.pt") == "step_0000003.pt");  // nothing written
}

TEST_CASE("run folder: resuming from an older checkpoint sets the later history aside, and auto continues the new one",
          "[smoke]") {
  TempDir dir;
  const std::string train = tiny_train(dir, "--set train.steps=12 --set train.keep_last=10") + with_tiny_mnist(dir);
  const std::string ckpts = dir / "runs/dcgan/checkpoints";
  REQUIRE(run_gen(train, dir).code == 0);  // steps 3, 6, 9, 12
  Run r = run_gen(train + " --resume " + ckpts + "/step_0000003.pt --stop-at 6 --set train.keep_last=1", dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("resuming at step 3, before the newest checkpoint: its 3 later checkpoint(s)") &&
                           Catch::Contains("(nothing deleted)"));
  // keep_last 1 keeps the checkpoint just written (step 6 of the new history), and latest.pt names it.
  CHECK(step_files(ckpts) == std::vector<std::string>{"step_0000006.pt"});
  CHECK(fs::read_symlink(ckpts + "/latest.pt") == "step_0000006.pt");
  std::vector<fs::path> abandoned;
  for (const auto& e : fs::directory_iterator(ckpts)) {
    if (e.path().filename().string().rfind("abandoned-", 0) == 0) abandoned.push_back(e.path());
  }
  REQUIRE(abandoned.size() == 1);
  CHECK(step_files(abandoned[0]) == std::vector<std::string>{"step_0000006.pt", "step_0000009.pt", "step_0000012.pt"});
  CHECK(fs::exists(dir / ("runs/dcgan/samples/" + abandoned[0].filename().string() + "/step_0000012.png")));

  r = run_gen(train + " --resume auto", dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("at step 6"));
  CHECK(fs::read_symlink(ckpts + "/latest.pt") == "step_0000012.pt");
}

TEST_CASE("run folder: --resume auto passes over a damaged newest checkpoint, saying so", "[smoke]") {
  TempDir dir;
  const std::string train = tiny_train(dir, "--set train.keep_last=3") + with_tiny_mnist(dir);
  const std::string ckpts = dir / "runs/dcgan/checkpoints";
  REQUIRE(run_gen(train, dir).code == 0);  // steps 3 and 6
  std::string bytes = read_text(ckpts + "/step_0000006.pt");
  bytes[bytes.size() / 2] ^= 0x40;
  write_text(ckpts + "/step_0000006.pt", bytes);
  Run r = run_gen(train + " --resume auto --set train.steps=9", dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("passing over a damaged checkpoint") && Catch::Contains("checksum mismatch") &&
                           Catch::Contains("resumed from " + ckpts + "/step_0000003.pt at step 3"));
  CHECK(fs::read_symlink(ckpts + "/latest.pt") == "step_0000009.pt");
  // Nothing deleted: the damaged file was set aside with the history it ended.
  bool kept = false;
  for (const auto& e : fs::recursive_directory_iterator(ckpts)) {
    kept |= e.path().filename() == "step_0000006.pt" && read_text(e.path()) == bytes;
  }
  CHECK(kept);
  // Every checkpoint damaged: a clear stop, not a fresh start over the run's files.
  for (const auto& f : step_files(ckpts)) write_text(ckpts + "/" + f, "damaged");
  r = run_gen(train + " --resume auto --set train.steps=12", dir);
  CHECK(r.code == 5);
  CHECK_THAT(r.output, Catch::Contains("no intact checkpoint to resume from"));
}

TEST_CASE("run folder: a crafted checkpoint with a valid checksum but an impossible data description exits 5",
          "[smoke]") {
  TempDir dir;
  const gen::Config config = gen::load_resolved_config(GEN_SOURCE_DIR "/configs/tiny/dcgan.yaml", {});
  gen::write_checkpoint(dir / "crafted.pt", config, gen::DataSpec::image(-3, 16, 16), 3, 1.0,
                        [](torch::serialize::OutputArchive&) {});
  const Run r = run_gen("sample --ckpt " + (dir / "crafted.pt") + " --out " + (dir / "s.png"), dir);
  INFO(r.output);
  CHECK(r.code == 5);
  CHECK(count_lines(r.output) == 1);
  CHECK_THAT(r.output, Catch::Contains("malformed gen/data_spec: channels"));
}

TEST_CASE("sample: flags are checked where parsed, and flags that do not apply to the model are refused", "[smoke]") {
  TempDir dir;
  REQUIRE(run_gen(tiny_train(dir, "--stop-at 3") + with_tiny_mnist(dir), dir).code == 0);
  const std::string sample = "sample --ckpt " + dir.path() + "/runs/dcgan/checkpoints/latest.pt ";
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"--temperature nan", "--temperature: expected a finite number"},
      {"--top-p NaN", "--top-p: expected a finite number"},
      {"--device cuda:x", "--device: expected auto, cpu, cuda or cuda:N, got 'cuda:x'"},
      {"--eval-nothing", "--eval-nothing"},
      {"--class 2", "--class 2: " + dir.path() + "/runs/dcgan/checkpoints/latest.pt holds a model without classes"},
      {"--prompt ROMEO", "--prompt: applies to text models"},
      {"--tokens 5", "--tokens: applies to text models"},
      {"--out " + dir.path() + "/grid.bmp", "images are written as .png or .jpg"},
  };
  for (const auto& [args, message] : refused) {
    INFO(args);
    const Run r = run_gen(sample + args, dir);
    CHECK(r.code == 2);
    CHECK(count_lines(r.output) == 1);
    CHECK_THAT(r.output, Catch::Contains(message));
  }
  CHECK_FALSE(fs::exists(dir / "grid.bmp"));
  CHECK(run_gen("eval --ckpt x.pt --device 0", dir).code == 2);
  // An image named .jpg is a JPEG (FF D8), not PNG bytes under another name.
  REQUIRE(run_gen(sample + "--out " + (dir / "grid.JPG"), dir).code == 0);
  CHECK(read_text(dir / "grid.JPG").substr(0, 2) == "\xFF\xD8");
  // out_dir "" would put run folders at the filesystem root.
  const Run r = run_gen(tiny_train(dir, "--set 'out_dir=\"\"'"), dir);
  CHECK(r.code == 3);
  CHECK_THAT(r.output, Catch::Contains("out_dir: expected a folder"));
}

TEST_CASE("sample: a long text is printed as it is drawn, not at the end", "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "data");
  write_text(dir / "data/input.txt", tiny_text());
  REQUIRE(run_gen("train configs/tiny/transformer.yaml" + tiny_sets(dir) + " --stop-at 3", dir).code == 0);
  // A million tokens take minutes; the prompt and the first tokens must show while it still draws.
  const std::string out = dir / "text.txt", rc = dir / "rc";
  const std::string ckpt = dir.path() + "/runs/transformer/checkpoints/latest.pt";
  REQUIRE(std::system(background_gen("sample --ckpt " + ckpt + " --prompt ROMEO --tokens 1000000", out, rc).c_str()) ==
          0);
  const bool shown = wait_for_text(out, "ROMEO");
  ::sleep(1);  // printed whole at the end, the text would come with the exit
  const bool still_drawing = !fs::exists(rc);
  kill_processes_naming(ckpt);
  CHECK(shown);
  CHECK(still_drawing);
}

TEST_CASE("data: an unreadable class folder of an image_folder is named, and fails the run with data.strict",
          "[smoke]") {
  TempDir dir;
  for (const char* f : {"imgs/cat/a.png", "imgs/cat/b.png", "imgs/dog/c.png", "imgs/dog/d.png"}) {
    fs::create_directories(fs::path(dir / f).parent_path());
    REQUIRE(cv::imwrite(dir / f, cv::Mat(20, 20, CV_8UC1, cv::Scalar(128))));
  }
  fs::permissions(dir / "imgs/dog", fs::perms::none);
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  // Root reads any folder: the check then runs as nobody, to whom the folder is closed, from
  // copies of the binary and the config (the checkout may sit where nobody cannot go).
  const bool root = ::geteuid() == 0;
  std::string gen = GEN_BINARY, config = GEN_SOURCE_DIR "/configs/tiny/dcgan.yaml";
  if (root) {
    fs::copy_file(gen, dir / "gen");
    fs::copy_file(config, dir / "c.yaml");
    gen = dir / "gen";
    config = dir / "c.yaml";
  }
  auto check = [&](const std::string& extra) {
    const std::string log = dir / "check.log";
    const std::string cmd = std::string(root ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "") + "'" + gen +
                            "' config check '" + config +
                            "' --set data.kind=image_folder --set data.root=" + (dir / "imgs") +
                            " --set data.image_size=16 --set data.batch_size=2 " + extra + " > '" + log + "' 2>&1";
    const int status = std::system(cmd.c_str());
    return Run{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text(log)};
  };
  Run r = check("--set data.strict=true");
  INFO(r.output);
  CHECK(r.code == 4);
  CHECK_THAT(r.output, Catch::Contains("imgs/dog: cannot read folder (data.strict is on)"));
  r = check("");
  CHECK(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("imgs/dog: cannot read folder, its images are left out"));
  fs::permissions(dir / "imgs/dog", fs::perms::owner_all);  // so the temp folder can be removed
}

TEST_CASE("data: a data set that cannot fit in memory is refused before it is allocated, saying what to change",
          "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "data");
  write_tiny_mnist(dir / "data", 4000, 28);
  // The address-space limit: the smallest of 3, 6, 12, 24 GiB that this build of gen starts
  // under (a CUDA LibTorch maps several GiB more than the CPU one), and a data set 4000 images
  // at 1024 px (7.8 GiB) or larger, so that it is always at least twice the limit.
  int64_t limit_gib = 0;
  for (int64_t gib : {3, 6, 12, 24}) {
    if (run_gen("config check configs/tiny/dcgan.yaml" + tiny_sets(dir), dir,
                "ulimit -v " + std::to_string(gib << 20) + "; ")
            .code == 0) {
      limit_gib = gib;
      break;
    }
  }
  INFO("gen starts under an address-space limit of " << limit_gib << " GiB");
  REQUIRE(limit_gib > 0);
  int64_t size = 1024;
  while (7.8 * double(size / 1024) * double(size / 1024) < 2.0 * double(limit_gib)) size *= 2;
  const Run r = run_gen(tiny_train(dir, "--set data.image_size=" + std::to_string(size) + " --set data.batch_size=1"),
                        dir, "ulimit -v " + std::to_string(limit_gib << 20) + "; ");
  INFO(r.output);
  CHECK(r.code == 4);
  CHECK(count_lines(r.output) <= 8);  // the start-up log and one error line, no allocator trace
  CHECK_THAT(r.output, Catch::Contains("4000 images at data.image_size " + std::to_string(size) + " need ") &&
                           Catch::Contains("GiB of memory to load") && Catch::Contains("use a smaller data.image_size"));
  CHECK_FALSE(fs::exists(dir / "runs/dcgan"));
}

TEST_CASE("run folder: a feature network for other images fails at start-up, not at the first evaluation", "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  REQUIRE(run_gen("train configs/tiny/classifier.yaml" + sets, dir).code == 0);  // 1-channel features
  for (int i = 0; i < 32; ++i) {
    fs::create_directories(dir / "rgb");
    REQUIRE(cv::imwrite(dir / ("rgb/" + std::to_string(i) + ".png"), cv::Mat(16, 16, CV_8UC3, cv::Scalar(i, 9, 99))));
  }
  const std::string train = "train configs/tiny/dcgan.yaml" + sets +
                            " --set data.kind=image_folder --set data.root=" + (dir / "rgb") +
                            " --set data.channels=3 --set data.image_size=16 --set train.eval_every=3";
  Run r = run_gen(train + " --set eval.features=" + (dir / "runs/classifier/checkpoints/latest.pt"), dir);
  INFO(r.output);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("the feature network takes 1-channel images, the data has 3"));
  CHECK_FALSE(fs::exists(dir / "runs/dcgan"));
}

TEST_CASE("run folder: with auto threads a resumed run takes the thread counts it started with", "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  // 7 OpenMP / 3 OpenBLAS threads: never what auto picks for a convolution net (1 OpenBLAS).
  Run r = run_gen("train configs/tiny/dcgan.yaml" + sets +
                      " --set runtime.threads=7 --set runtime.blas_threads=3 --stop-at 3",
                  dir);
  REQUIRE(r.code == 0);
  const gen::Checkpoint ckpt = gen::open_checkpoint(dir / "runs/dcgan/checkpoints/latest.pt", torch::kCPU);
  CHECK(ckpt.threads.intra == 7);
  r = run_gen("train configs/tiny/dcgan.yaml" + sets + " --set runtime.threads=auto --resume auto", dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("threads: 7 OpenMP") && Catch::Contains("as this run started"));
}
