// End-to-end: what a careless script does to the newer commands (issue "Hostile input, round 3").
// Outputs never replace inputs, other outputs, links, devices or checkpoints; inputs that are
// not regular files are refused before a byte is read; a run folder keeps one history through
// a crash before the first checkpoint and a torn metrics line.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

#include "dist/local_launcher.h"
#include "support/run_gen.h"
#include "util/threads.h"
#include "util/utf8.h"

namespace fs = std::filesystem;
using namespace gen::test;

namespace {

// Every step number of a metrics.jsonl, in order.
std::vector<int> logged_steps(const std::string& jsonl) {
  std::vector<int> steps;
  const std::regex step("\\{\"step\":([0-9]+)");
  for (auto it = std::sregex_iterator(jsonl.begin(), jsonl.end(), step); it != std::sregex_iterator(); ++it) {
    steps.push_back(std::stoi((*it)[1]));
  }
  return steps;
}

int event_files(const std::string& run_dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(run_dir)) {
    n += e.path().filename().string().rfind("events.out.tfevents.", 0) == 0;
  }
  return n;
}

}  // namespace

TEST_CASE(
    "hostile: export, sample, eval and plot never write over an input, another output, a link, a device or "
    "a checkpoint",
    "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  REQUIRE(run_gen("train configs/tiny/dcgan.yaml" + sets + " --set train.steps=3", dir).code == 0);
  const std::string ckpts = dir / "runs/dcgan/checkpoints";
  const std::string ckpt = ckpts + "/step_0000003.pt";
  const std::string before = read_text(ckpt);
  REQUIRE(::mkfifo((dir / "fifo.png").c_str(), 0644) == 0);
  REQUIRE(run_gen("export --ckpt " + ckpt + " --out " + dir / "kept.pt", dir).code == 0);
  const std::string kept = read_text(dir / "kept.pt");

  struct Case {
    std::string args;
    std::string says;
  };
  const std::vector<Case> cases{
      {"export --ckpt " + ckpt + " --out " + ckpt, "a gen checkpoint"},
      {"export --ckpt " + ckpts + "/latest.pt --out " + ckpts + "/latest.pt", "a symbolic link"},
      {"export --ckpt " + ckpt + " --out " + dir / "x.pt" + " --probe " + ckpts + "/latest.pt", "--probe"},
      {"export --ckpt " + ckpt + " --out " + dir / "kept.pt" + " --probe " + dir / "kept.pt", "the same file as --out"},
      {"export --ckpt " + ckpt + " --out " + dir / "fifo.png", "a FIFO"},
      {"export --ckpt " + ckpt + " --out " + dir.path(), "a folder"},
      {"export --ckpt " + ckpt + " --out " + ckpts + "/new.pt", "checkpoints/ folder"},
      {"export --ckpt " + ckpt + " --out " + dir / "no/such/x.pt", "does not exist"},
      {"sample --ckpt " + ckpt + " --out " + dir / "fifo.png", "a FIFO"},
      {"eval --ckpt " + ckpt + " --json " + ckpts + "/latest.pt", "a symbolic link"},
      {"plot " + dir / "runs/dcgan" + " --out " + ckpts + "/curves.png", "checkpoints/ folder"},
  };
  for (const Case& c : cases) {
    INFO(c.args);
    const Run r = run_gen(c.args, dir);
    INFO(r.output);
    CHECK(r.code == 2);
    CHECK(count_lines(r.output) == 1);
    CHECK_THAT(r.output, Catch::Contains(c.says));
  }
  // Nothing changed: the checkpoint, the link, the export, the FIFO.
  CHECK(read_text(ckpt) == before);
  CHECK(fs::is_symlink(ckpts + "/latest.pt"));
  CHECK(fs::read_symlink(ckpts + "/latest.pt") == "step_0000003.pt");
  CHECK(read_text(dir / "kept.pt") == kept);
  CHECK(fs::is_fifo(dir / "fifo.png"));
  CHECK_FALSE(fs::exists(ckpts + "/new.pt"));
  CHECK_FALSE(fs::exists(dir / "x.pt"));

  // The export format follows the extension in any case; a text model's sample is not a .png.
  Run r = run_gen("export --ckpt " + ckpt + " --out " + dir / "w.SAFETENSORS", dir);
  REQUIRE(r.code == 0);
  CHECK(read_text(dir / "w.SAFETENSORS").rfind("PK", 0) != 0);  // a safetensors header, not a .pt zip
  CHECK_THAT(read_text(dir / "w.SAFETENSORS").substr(8, 40), Catch::Contains("{"));
}

TEST_CASE("hostile: a checkpoint or config that is not a regular file is refused before a byte is read", "[smoke]") {
  TempDir dir;
  REQUIRE(::mkfifo((dir / "fifo.png").c_str(), 0644) == 0);
  // A memory limit and a timeout: reading /dev/zero without bound, or waiting on the FIFO, fails them.
  const std::string bounded = "ulimit -v 8000000; timeout 60 ";
  for (const std::string& input : std::vector<std::string>{"/dev/zero", dir / "fifo.png", dir.path()}) {
    for (const std::string command : {"export", "sample", "eval"}) {
      INFO(command << " --ckpt " << input);
      const Run r = run_gen(command + " --ckpt " + input, dir, bounded);
      INFO(r.output);
      CHECK(r.code == 5);
      CHECK(count_lines(r.output) == 1);
      CHECK_THAT(r.output, Catch::Contains("not a regular file"));
    }
    INFO("train " << input);
    const Run r = run_gen("train " + input, dir, bounded);
    CHECK(r.code == 3);
    CHECK_THAT(r.output, Catch::Contains("not a regular file"));
  }
}

TEST_CASE("hostile: a run killed before its first checkpoint and started again keeps one history", "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  const std::string train =
      "train configs/tiny/dcgan.yaml" + sets + " --set train.log_every=1 --set train.ckpt_every=10";
  const std::string run = dir / "runs/dcgan";
  for (const std::string again : {"", " --resume auto"}) {
    INFO("started again with '" << again << "'");
    fs::remove_all(dir / "runs");
    // Dies (exit 9, no cleanup) before step 4: steps 1-3 logged, no checkpoint.
    Run r = run_gen(train, dir, "GEN_FAULT_CRASH=0:4:" + dir / "crashed" + " ");
    fs::remove(dir / "crashed");
    REQUIRE(r.code == 9);
    const std::vector<int> first = logged_steps(read_text(run + "/metrics.jsonl"));
    REQUIRE(first.size() >= 3);
    REQUIRE_FALSE(fs::exists(run + "/checkpoints/latest.pt"));
    REQUIRE(event_files(run) == 1);
    r = run_gen(train + again, dir);
    INFO(r.output);
    REQUIRE(r.code == 0);
    CHECK_THAT(r.output, Catch::Contains("moved to " + run + "/abandoned-"));
    CHECK(logged_steps(read_text(run + "/metrics.jsonl")) == std::vector<int>{1, 2, 3, 4, 5, 6});
    CHECK(event_files(run) == 1);
    int abandoned = 0;
    for (const auto& e : fs::directory_iterator(run)) {
      if (e.path().filename().string().rfind("abandoned-", 0) != 0) continue;
      ++abandoned;
      CHECK(logged_steps(read_text(e.path() / "metrics.jsonl")) == first);
      CHECK(event_files(e.path()) == 1);
    }
    CHECK(abandoned == 1);
  }
}

TEST_CASE("hostile: a torn last line of metrics.jsonl is dropped and said, and curves that fail cost no grid",
          "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  const std::string train = "train configs/tiny/dcgan.yaml" + sets + " --set train.log_every=1";
  const std::string run = dir / "runs/dcgan";
  REQUIRE(run_gen(train + " --set train.steps=3", dir).code == 0);
  std::ofstream(run + "/metrics.jsonl", std::ios::app) << "{\"step\":4,\"loss_d\":0.7";  // a crash mid-write
  Run r = run_gen("plot " + run + " --out " + dir / "c.png", dir);
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("last line is cut short"));
  r = run_gen(train + " --resume auto", dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("dropped its last line"));
  CHECK(logged_steps(read_text(run + "/metrics.jsonl")) == std::vector<int>{1, 2, 3, 4, 5, 6});
  CHECK(fs::exists(run + "/samples/step_0000006.png"));

  // A line that is not a metrics line in the middle: curves.png fails, the grid is still drawn.
  std::string log = read_text(run + "/metrics.jsonl");
  log.insert(log.find('\n') + 1, "not json\n");
  std::ofstream(run + "/metrics.jsonl") << log;
  fs::remove(run + "/samples/step_0000006.png");
  r = run_gen(train + " --resume auto --set train.steps=9", dir);
  INFO(r.output);
  CHECK(r.code == 8);
  CHECK_THAT(r.output, Catch::Contains("curves.png of step"));
  CHECK(fs::exists(run + "/samples/step_0000009.png"));
}

TEST_CASE("hostile: plot, sample and export refuse the smaller mistakes in one line", "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  REQUIRE(run_gen("train configs/tiny/dcgan.yaml" + sets + " --set train.steps=3", dir).code == 0);
  const std::string run = dir / "runs/dcgan";
  const std::string ckpt = run + "/checkpoints/latest.pt";
  // The run folder's config.yaml comments the family's own keys too, as gen config show --comments does.
  CHECK_THAT(read_text(run + "/config.yaml"), Catch::Contains("  latent_dim: 8  # ") && Catch::Contains("  n_critic: 1  # "));
  CHECK_THAT(run_gen("config show configs/tiny/dcgan.yaml --comments", dir).output,
             Catch::Contains("  latent_dim: 8  # "));
  // --keys takes one value: the run folder after it stays a run folder.
  Run r = run_gen("plot --keys loss_d " + run + " --out " + dir / "k.png", dir);
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK(fs::exists(dir / "k.png"));
  // A log with no figures is not drawn as a blank image.
  fs::create_directories(dir / "empty");
  std::ofstream(dir / "empty/metrics.jsonl").flush();
  r = run_gen("plot " + dir / "empty" + " --out " + dir / "e.png", dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("holds no figures"));
  CHECK_FALSE(fs::exists(dir / "e.png"));
  // Files that cannot fit are refused before the first is written (--n's largest value: 10^8
  // files of at least a block each; skipped on a file system that has room for them).
  struct statvfs room {};
  REQUIRE(::statvfs(dir.path().c_str(), &room) == 0);
  const double blocks = double(room.f_bavail) * double(room.f_frsize) / std::max<double>(double(room.f_frsize), 1808);
  if ((room.f_files == 0 || room.f_favail >= 100000000) && blocks >= 1e8) {
    WARN("the file system under " << dir.path() << " has room for 10^8 files: the disk-space refusal is not tested");
  } else {
    r = run_gen("sample --ckpt " + ckpt + " --format files --n 100000000 --out " + dir / "many", dir);
    INFO(r.output);
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Catch::Contains("--n 100000000: "));
    CHECK_FALSE(fs::exists(dir / "many"));
  }
  // A text model's sample is text.
  const std::string text = with_tiny_text(dir);
  REQUIRE(run_gen("train configs/tiny/transformer.yaml --set train.steps=2 --set out_dir=" + dir / "runs" + text, dir)
              .code == 0);
  CHECK_THAT(read_text(dir / "runs/transformer/config.yaml"), Catch::Contains("  tokenizer: char  # "));
  r = run_gen("sample --ckpt " + dir / "runs/transformer/checkpoints/latest.pt" + " --out " + dir / "t.png", dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("holds a text model"));
  CHECK_FALSE(fs::exists(dir / "t.png"));
}

TEST_CASE(
    "hostile: text that is not UTF-8 is refused by the char tokenizer at its byte offset, and whatever the input, "
    "gen's exports and event files hold UTF-8",
    "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "latin1");
  std::string text = tiny_text();
  text.insert(100, "caf\xE9");  // Latin-1 é at byte 103
  write_text(dir / "latin1/input.txt", text);
  const std::string train = "train configs/tiny/transformer.yaml --set train.steps=2 --set out_dir=" + dir / "runs";
  Run r = run_gen(train + " --set data.root=" + dir / "latin1", dir);
  INFO(r.output);
  CHECK(r.code == 4);  // found when the data is read: the start-up log, then this one error line
  CHECK_THAT(r.output,
             Catch::Contains("gen: error: " + dir / "latin1/input.txt" + ": not UTF-8 text: byte 103 (0xE9)"));
  CHECK_FALSE(fs::exists(dir / "runs/transformer"));
  // The byte tokenizer reads it, from a folder whose name is not UTF-8 either: the export's
  // metadata and the event file's config text (both carry data.root) are UTF-8 all the same.
  const std::string folder = dir / "d\xE9j\xE0";
  fs::create_directories(folder);
  write_text(folder + "/input.txt", text);
  r = run_gen(train + " --set data.tokenizer=byte --set data.root='" + folder + "'", dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  const std::string ckpt = dir / "runs/transformer/checkpoints/latest.pt";
  r = run_gen("export --ckpt " + ckpt + " --out " + dir / "t.safetensors", dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  const std::string st = read_text(dir / "t.safetensors");
  uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = (header << 8) | uint8_t(st[size_t(i)]);
  CHECK_THAT(st.substr(8, header), Catch::Contains("d\xEF\xBF\xBDj\xEF\xBF\xBD"));  // U+FFFD for each bad byte
  CHECK(gen::first_invalid_utf8(st.substr(8, header)) == std::string::npos);
  REQUIRE(run_gen("export --ckpt " + ckpt + " --out " + dir / "t.pt", dir).code == 0);
  for (const auto& e : fs::directory_iterator(dir / "runs/transformer")) {
    if (e.path().filename().string().rfind("events.out.tfevents.", 0) != 0) continue;
    const std::string events = read_text(e.path());
    CHECK(events.find("d\xE9j\xE0") == std::string::npos);
    CHECK(events.find("d\xEF\xBF\xBDj\xEF\xBF\xBD") != std::string::npos);
  }
}

TEST_CASE("hostile: Ctrl-C while the ranks join ends a waiting rank at once with 130, and --nproc-per-node with it",
          "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  // Rank 0 of 2 alone, as when the signal ended rank 1 before it could install its handler:
  // it waits in the store for a rank that will never come (runtime.dist_timeout 120 s).
  const std::string env = "MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(gen::free_local_port()) +
                          " WORLD_SIZE=2 RANK=0 LOCAL_RANK=0 LOCAL_WORLD_SIZE=2 ";
  const std::string command = "cd '" GEN_SOURCE_DIR "' && start=$(date +%s); " + env +
                              "timeout 300 '" GEN_BINARY
                              "' train configs/tiny/dcgan.yaml --set runtime.threads=1 --set runtime.dist_timeout=120" +
                              sets + " > '" + dir / "log" + "' 2>&1 & pid=$!; sleep 2; kill -INT $pid; wait $pid; " +
                              "echo $? > '" + dir / "rc" + "'; echo $(( $(date +%s) - start )) > '" + dir / "seconds" +
                              "'";
  REQUIRE(std::system(command.c_str()) == 0);
  INFO(read_text(dir / "log"));
  CHECK(std::stoi(read_text(dir / "rc")) == 130);
  CHECK(std::stoi(read_text(dir / "seconds")) < 25);  // not runtime.dist_timeout
  CHECK_THAT(read_text(dir / "log"),
             Catch::Contains("while rank 0 joined the data-parallel job: stopped, nothing was written"));
  CHECK_FALSE(fs::exists(dir / "runs/dcgan"));

  // The whole job, signalled at moments of its start-up and training: 130 every time.
  for (const char* delay : {"0.1", "0.3", "0.6", "1.0"}) {
    INFO("SIGINT after " << delay << " s");
    // `timeout` passes the SIGINT on to gen and bounds a hang.
    const std::string job = "cd '" GEN_SOURCE_DIR "' && timeout 300 '" GEN_BINARY
                            "' train configs/tiny/dcgan.yaml --set runtime.threads=1 --set train.steps=100000 "
                            "--set name=r" +
                            std::string(delay) + sets + " --nproc-per-node 2 > '" + dir / "log" +
                            "' 2>&1 & pid=$!; sleep " + delay + "; kill -INT $pid; wait $pid; echo $? > '" +
                            dir / "rc" + "'";
    REQUIRE(std::system(job.c_str()) == 0);
    INFO(read_text(dir / "log"));
    CHECK(std::stoi(read_text(dir / "rc")) == 130);
  }
}

TEST_CASE(
    "hostile: thread and rank counts beyond the machine, and flags or keys that would be ignored, are refused "
    "before a rank starts",
    "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  const std::string train = "train configs/tiny/dcgan.yaml" + sets;
  const int cpus = int(gen::available_cpus());
  struct Case {
    std::string args;
    std::string env;
    int code;
    std::string says;
  };
  const std::vector<Case> cases{
      {" --set runtime.threads=" + std::to_string(4 * cpus + 1), "", 3,
       "runtime.threads " + std::to_string(4 * cpus + 1) + ": more than 4 threads per CPU"},
      {" --set runtime.blas_threads=1024", "", 3, "runtime.blas_threads 1024"},
      {" --nproc-per-node " + std::to_string(cpus + 1), "", 2, "--nproc-per-node " + std::to_string(cpus + 1)},
      {" --set runtime.threads=1 --set data.batch_size=15 --nproc-per-node 2", "", 3, "data.batch_size 15"},
      {" --max-restarts 2", "", 2, "--max-restarts"},
      {" --set runtime.precision=", "", 3, "runtime.precision: no value given"},
      {"", "GEN_PROGRESS=garbage ", 2, "GEN_PROGRESS='garbage'"},
  };
  for (const Case& c : cases) {
    INFO(c.env << "gen " << train << c.args);
    const Run r = run_gen(train + c.args, dir, c.env);
    INFO(r.output);
    CHECK(r.code == c.code);
    CHECK(count_lines(r.output) == 1);  // once, by the launcher: no rank started
    CHECK_THAT(r.output, Catch::Contains(c.says));
    CHECK_FALSE(fs::exists(dir / "runs/dcgan"));
  }
}
