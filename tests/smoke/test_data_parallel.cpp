// End-to-end: gen train as ranks of a data-parallel job on c10d's Gloo backend, launched the
// way torchrun launches them (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), two local ranks.
#include <catch2/catch.hpp>

#include <cmath>
#include <sys/types.h>

#include <csignal>
#include <fstream>
#include <filesystem>
#include <regex>

#include "dist/local_launcher.h"
#include "util/threads.h"
#include "support/run_gen.h"

using namespace gen::test;

namespace {

struct JobResult {
  std::vector<Run> ranks;
};

// Runs `gen ARGS` as ranks 0..world-1 of one job; waits for all of them.
JobResult run_job(const std::string& args, const TempDir& dir, int world, const std::string& name,
                  const std::string& extra_env = "") {
  const std::string env = extra_env + "MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(gen::free_local_port()) +
                          " WORLD_SIZE=" + std::to_string(world) + " LOCAL_WORLD_SIZE=" + std::to_string(world) + " ";
  std::string command;
  for (int r = 0; r < world; ++r) {
    const std::string base = dir / (name + "_rank" + std::to_string(r));
    command += background_gen(args, base + ".log", base + ".rc",
                              env + "RANK=" + std::to_string(r) + " LOCAL_RANK=" + std::to_string(r) + " ") +
               "\n";
  }
  REQUIRE(std::system(command.c_str()) == 0);
  JobResult job;
  for (int r = 0; r < world; ++r) {
    const std::string base = dir / (name + "_rank" + std::to_string(r));
    REQUIRE(wait_for_text(base + ".rc", "\n"));
    job.ranks.push_back({std::stoi(read_text(base + ".rc")), read_text(base + ".log")});
  }
  return job;
}

// Every figure of a metrics.jsonl in order, but the timings.
std::vector<double> loss_values(const std::string& jsonl) {
  std::vector<double> v;
  const std::regex field("\"([a-z_]+)\":(-?[0-9.e+-]+)");
  for (auto it = std::sregex_iterator(jsonl.begin(), jsonl.end(), field); it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[1];
    if (name.size() > 6 && name.substr(name.size() - 6) == "_per_s") continue;
    v.push_back(std::stod((*it)[2]));
  }
  return v;
}

void require_close(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() >= 8);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("value " << i << ": " << a[i] << " vs " << b[i]);
    CHECK(std::abs(a[i] - b[i]) <= 1e-5 * std::abs(a[i]) + 1e-9);  // metrics.jsonl keeps 6 digits
  }
}

}  // namespace

TEST_CASE("data parallel: the tiny Transformer on 2 Gloo ranks logs what one process logs, and rank 0 alone writes",
          "[smoke]") {
  TempDir dir;
  const std::string text = with_tiny_text(dir);
  const std::string train = "train configs/tiny/transformer.yaml --set runtime.threads=1 --set train.steps=8" + text;
  Run one = run_gen(train + " --set out_dir=" + dir.path() + "/one", dir);
  REQUIRE(one.code == 0);
  const JobResult two = run_job(train + " --set out_dir=" + dir.path() + "/two", dir, 2, "two");
  INFO(two.ranks[0].output);
  INFO(two.ranks[1].output);
  REQUIRE(two.ranks[0].code == 0);
  REQUIRE(two.ranks[1].code == 0);
  CHECK_THAT(two.ranks[0].output, Catch::Contains("rank 0 of 2") && Catch::Contains("Gloo"));
  CHECK_THAT(two.ranks[1].output, !Catch::Contains("step 8/8"));  // rank 0 speaks for the job

  const auto a = loss_values(read_text(dir / "one/transformer/metrics.jsonl"));
  require_close(a, loss_values(read_text(dir / "two/transformer/metrics.jsonl")));
  // The weights too: the held-out loss of both final checkpoints, to 1e-5.
  const std::string eval_one = run_gen("eval --ckpt " + dir / "one/transformer/checkpoints/latest.pt", dir).output;
  const std::string eval_two = run_gen("eval --ckpt " + dir / "two/transformer/checkpoints/latest.pt", dir).output;
  std::smatch m1, m2;
  const std::regex val_loss("\\bval_loss +([0-9.]+)");
  REQUIRE(std::regex_search(eval_one, m1, val_loss));
  REQUIRE(std::regex_search(eval_two, m2, val_loss));
  CHECK(std::abs(std::stod(m1[1]) - std::stod(m2[1])) <= 1e-5 * std::stod(m1[1]));
  CHECK(std::filesystem::exists(dir / "two/transformer/checkpoints/latest.pt"));

  // Gradients in 1 KB buckets, each all-reduced as soon as the backward pass has produced it:
  // the same run, and every bucket left during the backward pass.
  const JobResult buckets = run_job(train + " --set out_dir=" + dir.path() + "/buckets --set runtime.dist_bucket_mb=0.001",
                                    dir, 2, "buckets");
  INFO(buckets.ranks[0].output);
  REQUIRE(buckets.ranks[0].code == 0);
  std::smatch counts;
  REQUIRE(std::regex_search(buckets.ranks[0].output, counts,
                            std::regex("([0-9]+) bucket\\(s\\) of at most 0.001 MiB, ([0-9]+) all-reduced during")));
  CHECK(std::stoi(counts[1]) > 4);
  CHECK(counts[2] == counts[1]);
  require_close(a, loss_values(read_text(dir / "buckets/transformer/metrics.jsonl")));

  // Stopped at step 4 as 2 ranks, resumed as 1 rank, and the other way round: the same run.
  const std::string first = dir / "one/transformer/metrics.jsonl";
  JobResult half = run_job(train + " --set out_dir=" + dir.path() + "/two_one --stop-at 4", dir, 2, "half");
  REQUIRE(half.ranks[0].code == 0);
  // Its own launcher's command line is not known to a rank: the hint names the launcher.
  CHECK_THAT(half.ranks[0].output, Catch::Contains("continue with: torchrun ... gen train configs/tiny/transformer.yaml"));
  REQUIRE(run_gen(train + " --set out_dir=" + dir.path() + "/two_one --resume auto", dir).code == 0);
  REQUIRE(run_gen(train + " --set out_dir=" + dir.path() + "/one_two --stop-at 4", dir).code == 0);
  half = run_job(train + " --set out_dir=" + dir.path() + "/one_two --resume auto", dir, 2, "resume2");
  REQUIRE(half.ranks[0].code == 0);
  for (const char* folder : {"two_one", "one_two"}) {
    INFO(folder);
    require_close(a, loss_values(read_text(dir / (std::string(folder) + "/transformer/metrics.jsonl"))));
  }
}

TEST_CASE("data parallel: torchrun with one process joins a c10d world of one, which trains what no launcher trains",
          "[smoke]") {
  TempDir dir;
  const std::string text = with_tiny_text(dir);
  const std::string train = "train configs/tiny/transformer.yaml --set runtime.threads=1 --set train.steps=6" + text +
                            " --set out_dir=" + dir.path() + "/";
  REQUIRE(run_gen(train + "alone", dir).code == 0);
  const JobResult one = run_job(train + "world1", dir, 1, "world1");
  INFO(one.ranks[0].output);
  REQUIRE(one.ranks[0].code == 0);
  CHECK_THAT(one.ranks[0].output, Catch::Contains("rank 0 of 1 (torchrun") &&
                                      Catch::Contains("all-reduced during the backward pass"));
  require_close(loss_values(read_text(dir / "alone/transformer/metrics.jsonl")),
                loss_values(read_text(dir / "world1/transformer/metrics.jsonl")));
}

TEST_CASE("data parallel: a global batch that does not split, a missing or hung rank, a bad variable: clear stops",
          "[smoke]") {
  TempDir dir;
  const std::string text = with_tiny_text(dir);
  const std::string sets = " --set runtime.threads=1" + text + " --set out_dir=" + dir.path() + "/runs";
  JobResult job = run_job("train configs/tiny/transformer.yaml --set data.batch_size=5" + sets, dir, 2, "odd");
  for (const Run& r : job.ranks) {
    CHECK(r.code == 3);
    CHECK_THAT(r.output, Catch::Contains("data.batch_size 5") && Catch::Contains("2 ranks"));
  }
  // WORLD_SIZE 2 but only rank 0 starts: it stops after runtime.dist_timeout, naming itself.
  const Run alone = run_gen("train configs/tiny/transformer.yaml --set runtime.dist_timeout=3" + sets, dir,
                            "MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(gen::free_local_port()) +
                                " WORLD_SIZE=2 RANK=0 ");
  CHECK(alone.code != 0);
  CHECK_THAT(alone.output, Catch::Contains("rank 0"));
  // Rank 1 stops answering before step 3: rank 0 gives up after runtime.dist_timeout, naming it,
  // and the launcher stops the silent rank.
  const Run hang = run_gen("train configs/tiny/transformer.yaml --set runtime.dist_timeout=3 --nproc-per-node 2" + sets +
                               " --set name=hang",
                           dir, "GEN_FAULT_HANG=1:3 ");
  CHECK(hang.code == 7);
  CHECK_THAT(hang.output, Catch::Contains("rank 0 of 2 at step 3") &&
                              Catch::Contains("rank 1 stopped answering (no answer to the roll call"));
  // A launch variable that is not a number is named.
  const Run bad = run_gen("train configs/tiny/transformer.yaml" + sets, dir, "WORLD_SIZE=two RANK=0 ");
  CHECK(bad.code == 2);
  CHECK_THAT(bad.output, Catch::Contains("WORLD_SIZE='two'"));
}

TEST_CASE("data parallel: torchrun starts 2 ranks of gen train, which log what one process logs, and restarts them",
          "[smoke]") {
  TempDir dir;
  const std::string text = with_tiny_text(dir);
  // A log line every step: a run resumed from step 3 then logs the same windows as a straight one.
  const std::string args =
      "train configs/tiny/transformer.yaml --set runtime.threads=1 --set train.steps=6 --set train.log_every=1" + text +
      " --set out_dir=";
  REQUIRE(run_gen(args + dir.path() + "/one", dir).code == 0);
  // torchrun of the torch whose LibTorch gen links (its store and gen's client are one version).
  // Debian's torchrun 1.13 under Python 3.11 cannot parse its own default --redirects/--tee
  // (0, an IntFlag value 3.11 no longer iterates): 1 works, on every version.
  const std::string torchrun = "cd '" GEN_SOURCE_DIR "' && '" GEN_PYTHON "' -m torch.distributed.run --no_python --nproc_per_node 2 --master_port " +
                               std::to_string(gen::free_local_port()) + " --redirects 1 --tee 1 --log_dir '" + dir.path() +
                               "/torchrun' '" GEN_BINARY "' " + args + dir.path() + "/two > '" + dir.path() +
                               "/torchrun.log' 2>&1";
  const int status = std::system(torchrun.c_str());
  INFO(read_text(dir / "torchrun.log"));
  REQUIRE(status == 0);
  require_close(loss_values(read_text(dir / "one/transformer/metrics.jsonl")),
                loss_values(read_text(dir / "two/transformer/metrics.jsonl")));
  CHECK_THAT(read_text(dir / "torchrun.log"), Catch::Contains("rank 1 of 2 (torchrun"));

  // torchrun --max_restarts: rank 1 dies before step 5 (after step 3's checkpoint); torchrun
  // starts both ranks again with the same command, and they continue from that checkpoint.
  const std::string restart = "cd '" GEN_SOURCE_DIR "' && GEN_FAULT_CRASH=1:5:'" + dir.path() +
                              "/crashed' '" GEN_PYTHON "' -m torch.distributed.run --no_python --nproc_per_node 2 --max_restarts 1 --master_port " +
                              std::to_string(gen::free_local_port()) + " --redirects 1 --tee 1 --log_dir '" +
                              dir.path() + "/torchrun_restart' '" GEN_BINARY "' " + args + dir.path() +
                              "/restart > '" + dir.path() + "/restart.log' 2>&1";
  const int restarted = std::system(restart.c_str());
  const std::string log = read_text(dir / "restart.log");
  INFO(log);
  REQUIRE(restarted == 0);
  CHECK_THAT(log, Catch::Contains("torchrun restart 1: continuing from the newest checkpoint") &&
                      Catch::Contains("resumed from") && Catch::Contains("step_0000003.pt"));
  const auto straight = loss_values(read_text(dir / "one/transformer/metrics.jsonl"));
  const auto resumed = loss_values(read_text(dir / "restart/transformer/metrics.jsonl"));
  require_close(straight, resumed);
}

TEST_CASE("data parallel: the tiny VAE on 2 ranks, with and without accumulation, trains what one process trains",
          "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  for (const std::string accumulate : {"1", "2"}) {
    INFO("train.accumulate " << accumulate);
    const std::string train = "train configs/tiny/vae.yaml --set runtime.threads=1 --set train.steps=8" + sets +
                              " --set train.accumulate=" + accumulate + " --set out_dir=" + dir.path() + "/";
    REQUIRE(run_gen(train + "one" + accumulate, dir).code == 0);
    // Small gradient buckets: each leaves after the last micro-batch's backward pass, not before.
    const JobResult two =
        run_job(train + "two" + accumulate + " --set runtime.dist_bucket_mb=0.01", dir, 2, "vae" + accumulate);
    INFO(two.ranks[0].output);
    REQUIRE(two.ranks[0].code == 0);
    REQUIRE(two.ranks[1].code == 0);
    require_close(loss_values(read_text(dir / ("one" + accumulate + "/vae/metrics.jsonl"))),
                  loss_values(read_text(dir / ("two" + accumulate + "/vae/metrics.jsonl"))));
  }
}

TEST_CASE("data parallel: the tiny diffusion model on 2 ranks (noise, timesteps, dropped labels) trains what one "
          "process trains",
          "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  const std::string train = "train configs/tiny/diffusion.yaml --set runtime.threads=1 --set train.steps=8" + sets +
                            " --set model.label_dropout=0.5 --set model.dropout=0.1 --set out_dir=" + dir.path() + "/";
  REQUIRE(run_gen(train + "one", dir).code == 0);
  const JobResult two = run_job(train + "two", dir, 2, "diffusion");
  INFO(two.ranks[0].output);
  REQUIRE(two.ranks[0].code == 0);
  REQUIRE(two.ranks[1].code == 0);
  require_close(loss_values(read_text(dir / "one/diffusion/metrics.jsonl")),
                loss_values(read_text(dir / "two/diffusion/metrics.jsonl")));
}

TEST_CASE("data parallel: a rank whose initial weights differ starts from rank 0's, and trains what one process trains",
          "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  const std::string train = "train configs/tiny/vae.yaml --set runtime.threads=1 --set train.steps=8 --set "
                            "train.ema=0.9" + sets + " --set out_dir=" + dir.path() + "/";
  REQUIRE(run_gen(train + "one", dir).code == 0);
  // Rank 1 adds 0.01 to every weight it built; rank 0's are the ones one process builds.
  const JobResult two = run_job(train + "two", dir, 2, "init", "GEN_FAULT_INIT_RANK=1 ");
  INFO(two.ranks[1].output);
  REQUIRE(two.ranks[0].code == 0);
  REQUIRE(two.ranks[1].code == 0);
  require_close(loss_values(read_text(dir / "one/vae/metrics.jsonl")),
                loss_values(read_text(dir / "two/vae/metrics.jsonl")));
}

TEST_CASE("data parallel: gen train --nproc-per-node starts the ranks itself, stops them all when one dies, restarts",
          "[smoke]") {
  TempDir dir;
  const std::string text = with_tiny_text(dir);
  // A log line every step: a run resumed from step 3 then logs the same windows as a straight one.
  const std::string train =
      "train configs/tiny/transformer.yaml --set runtime.threads=1 --set train.steps=8 --set train.log_every=1" + text +
      " --set out_dir=" + dir.path() + "/";
  REQUIRE(run_gen(train + "one", dir).code == 0);
  const auto straight = loss_values(read_text(dir / "one/transformer/metrics.jsonl"));

  Run r = run_gen(train + "two --nproc-per-node 2", dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("rank 1 of 2 (--nproc-per-node; local rank 1)"));
  require_close(straight, loss_values(read_text(dir / "two/transformer/metrics.jsonl")));

  // Rank 1 dies before step 5 (after step 3's checkpoint): rank 0 is stopped, the job ends with
  // rank 1's code, and the newest checkpoint loads.
  r = run_gen(train + "crash --nproc-per-node 2", dir, "GEN_FAULT_CRASH=1:5:" + dir.path() + "/crashed ");
  CHECK(r.code == 9);
  CHECK_THAT(r.output, Catch::Contains("rank 1 exited 9; stopping the other ranks"));
  CHECK_THAT(r.output, Catch::Contains("rank 0 of 2 at step 5: all-reduce failed") &&
                           Catch::Contains("rank 1 stopped answering (no answer to the roll call"));
  CHECK(run_gen("sample --ckpt " + dir / "crash/transformer/checkpoints/latest.pt", dir).code == 0);

  // With a restart allowed the job continues from that checkpoint and ends as the straight run.
  r = run_gen(train + "restart --nproc-per-node 2 --max-restarts 1", dir,
              "GEN_FAULT_CRASH=1:5:" + dir.path() + "/crashed_again ");
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("restarting every rank from the newest checkpoint"));
  require_close(straight, loss_values(read_text(dir / "restart/transformer/metrics.jsonl")));
}

TEST_CASE("data parallel: the tiny DCGAN on 2 ranks matches one process with synchronized BatchNorm, not without",
          "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  // Augmentation on, so that its random draws are split by rank too.
  const std::string train = "train configs/tiny/dcgan.yaml --set runtime.threads=1 --set train.steps=8" + sets +
                            " --set model.augment.hflip=true --set model.augment.translate_px=2 --set out_dir=" +
                            dir.path() + "/";
  REQUIRE(run_gen(train + "one", dir).code == 0);
  const auto straight = loss_values(read_text(dir / "one/dcgan/metrics.jsonl"));
  JobResult job = run_job(train + "sync", dir, 2, "sync");
  INFO(job.ranks[0].output);
  REQUIRE(job.ranks[0].code == 0);
  CHECK_THAT(job.ranks[0].output, Catch::Contains("through shared memory"));  // dist/local_sum.h
  require_close(straight, loss_values(read_text(dir / "sync/dcgan/metrics.jsonl")));
  // The same through Gloo alone.
  job = run_job(train + "sync_gloo --set runtime.dist_local_sums=false", dir, 2, "sync_gloo");
  INFO(job.ranks[0].output);
  REQUIRE(job.ranks[0].code == 0);
  CHECK_THAT(job.ranks[0].output, !Catch::Contains("through shared memory"));
  require_close(straight, loss_values(read_text(dir / "sync_gloo/dcgan/metrics.jsonl")));

  // Lazy R1 differentiates the synchronized D twice (the main job, dcgan_mnist.yaml, does).
  const std::string r1 = " --set model.r1=2 --set model.r1_every=2";
  REQUIRE(run_gen(train + "one_r1" + r1, dir).code == 0);
  // In small gradient buckets, whose all-reduces interleave with the BatchNorm's own.
  job = run_job(train + "sync_r1" + r1 + " --set runtime.dist_bucket_mb=0.002", dir, 2, "sync_r1");
  INFO(job.ranks[0].output);
  REQUIRE(job.ranks[0].code == 0);
  require_close(loss_values(read_text(dir / "one_r1/dcgan/metrics.jsonl")),
                loss_values(read_text(dir / "sync_r1/dcgan/metrics.jsonl")));

  // Each rank normalizing with its own 8 images: other numbers (the test can fail).
  job = run_job(train + "local --set model.sync_bn=false", dir, 2, "local");
  REQUIRE(job.ranks[0].code == 0);
  const auto local = loss_values(read_text(dir / "local/dcgan/metrics.jsonl"));
  REQUIRE(local.size() == straight.size());
  double worst = 0;
  for (size_t i = 0; i < local.size(); ++i) worst = std::max(worst, std::abs(local[i] - straight[i]) / std::abs(straight[i]));
  CHECK(worst > 1e-3);
}

TEST_CASE("data parallel: Ctrl-C or SIGTERM to --nproc-per-node reaches every rank: one checkpoint, exit 130 or 143",
          "[smoke]") {
  TempDir dir;
  const std::string text = with_tiny_text(dir);
  const std::string train = "train configs/tiny/transformer.yaml --set runtime.threads=1 --set train.steps=100000" +
                            std::string(" --set train.eval_every=0 --set train.sample_every=0 --set train.ckpt_every=0") +
                            text + " --set out_dir=" + dir.path() +
                            "/runs --nproc-per-node 2";
  for (const auto& [sig, code] : {std::pair{SIGINT, 130}, std::pair{SIGTERM, 143}}) {
    const std::string name = "sig" + std::to_string(sig);
    const std::string run = dir / ("runs/" + name);
    REQUIRE(std::system(
                background_gen(train + " --set name=" + name, dir / (name + ".log"), dir / (name + ".rc")).c_str()) ==
            0);
    REQUIRE(wait_for_text(run + "/metrics.jsonl", "\"step\""));  // training
    // The run lock names rank 0; its parent is the launcher.
    const pid_t rank0 = lock_holder(run);
    REQUIRE(rank0 > 0);
    std::ifstream stat("/proc/" + std::to_string(rank0) + "/stat");
    std::string pid, comm, state;
    long parent = 0;
    stat >> pid >> comm >> state >> parent;
    REQUIRE(parent > 1);
    REQUIRE(::kill(pid_t(parent), sig) == 0);
    // As a terminal would, the signal reaches rank 0 itself too: one request, not two.
    ::kill(rank0, sig);
    REQUIRE(wait_for_text(dir / (name + ".rc"), "\n"));
    const std::string log = read_text(dir / (name + ".log"));
    INFO(log);
    CHECK(std::stoi(read_text(dir / (name + ".rc"))) == code);
    CHECK_THAT(log, Catch::Contains("interrupted at step"));
    CHECK_THAT(log, Catch::Contains("Continue with: gen train configs/tiny/transformer.yaml") &&
                        Catch::Contains("--nproc-per-node 2 --resume auto"));  // the same launch
    CHECK(std::filesystem::exists(run + "/checkpoints/latest.pt"));
    CHECK(run_gen("sample --ckpt " + run + "/checkpoints/latest.pt", dir).code == 0);
  }
}

TEST_CASE("data parallel: Ctrl-C on one rank alone stops both at the same step, through the gradient all-reduce",
          "[smoke]") {
  TempDir dir;
  const std::string text = with_tiny_text(dir);
  // Rank 1 gets SIGINT before step 5 (after 5 steps); its vote rides in step 6's last gradient
  // bucket, so both ranks leave the loop after step 6, and rank 0 writes that checkpoint.
  const std::string train =
      "train configs/tiny/transformer.yaml --set runtime.threads=1 --set train.steps=2000 --set train.ckpt_every=0" +
      text + " --set out_dir=" + dir.path() + "/runs";
  const JobResult job = run_job(train, dir, 2, "vote", "GEN_FAULT_SIGNAL=1:5:" + std::to_string(SIGINT) + " ");
  INFO(job.ranks[0].output);
  INFO(job.ranks[1].output);
  CHECK(job.ranks[0].code == 130);
  CHECK(job.ranks[1].code == 130);
  CHECK_THAT(job.ranks[0].output, Catch::Contains("interrupted at step 6;"));
  CHECK(std::filesystem::exists(dir / "runs/transformer/checkpoints/step_0000006.pt"));
}

TEST_CASE("data parallel: verify-resume --nproc 2 finds a 2-rank job stopped and resumed identical to a straight one",
          "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  CHECK_THAT(check_resumes_identically("configs/tiny/vae.yaml --steps 6 --nproc 2" + sets, dir).output,
             Catch::Contains("6 logged steps identical"));
}

TEST_CASE("data parallel: dropout masks come from the global batch: the Transformer and the classifier match one process",
          "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  write_text(dir / "data/input.txt", tiny_text());
  for (const std::string config : {"transformer", "classifier"}) {
    INFO(config);
    const std::string train = "train configs/tiny/" + config + ".yaml --set runtime.threads=1 --set train.steps=8" +
                              sets + (config == "transformer" ? " --set model.dropout=0.2" : "") +
                              " --set out_dir=" + dir.path() + "/";
    REQUIRE(run_gen(train + "one_" + config, dir).code == 0);
    const JobResult two = run_job(train + "two_" + config, dir, 2, "drop_" + config);
    INFO(two.ranks[0].output);
    REQUIRE(two.ranks[0].code == 0);
    require_close(loss_values(read_text(dir / ("one_" + config + "/" + config + "/metrics.jsonl"))),
                  loss_values(read_text(dir / ("two_" + config + "/" + config + "/metrics.jsonl"))));
  }
}

TEST_CASE("data parallel: with auto threads the ranks on one machine divide its CPUs, also when a job resumes on more",
          "[smoke]") {
  const int64_t cpus = gen::available_cpus();
  const int64_t share = gen::cpu_share(cpus, 2);
  TempDir dir;
  const std::string train = "train configs/tiny/dcgan.yaml --set train.steps=4" + with_tiny_mnist(dir);
  // One process first, with one OpenMP thread per CPU; then the same run resumed on 2 ranks, auto.
  const std::string all = std::to_string(cpus);
  REQUIRE(run_gen(train + " --stop-at 2 --set runtime.threads=" + all, dir).code == 0);
  const Run r = run_gen(train + " --resume auto --nproc-per-node 2 --set runtime.threads=auto", dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  if (share < cpus) {  // the counts it started with are more than a rank's share: not taken again
    CHECK_THAT(r.output, Catch::Contains(std::to_string(cpus) + " CPUs available to 2 ranks on this machine, " +
                                         std::to_string(share) + " each"));
    CHECK_THAT(r.output, Catch::Contains("threads: " + std::to_string(share) + " OpenMP"));
    CHECK_THAT(r.output, Catch::Contains("this run started with " + all + " OpenMP"));
  } else {
    CHECK_THAT(r.output, Catch::Contains("threads: " + all + " OpenMP") && Catch::Contains("as this run started"));
  }
}

TEST_CASE("data parallel: a random number drawn on one rank only stops the job at the next log step, not silently",
          "[smoke]") {
  TempDir dir;
  const std::string text = with_tiny_text(dir);
  const std::string train = "train configs/tiny/transformer.yaml --set runtime.threads=1 --set train.steps=8 "
                            "--set train.log_every=2 --set train.ckpt_every=2" +
                            text + " --set out_dir=" + dir.path() + "/runs --nproc-per-node 2";
  // Without the fault the streams agree at every log step (the other data-parallel cases too).
  REQUIRE(run_gen(train + " --set name=clean", dir).code == 0);
  // Rank 1 draws once more before step 3: the check at step 4 stops both ranks before step 4's
  // checkpoint, and step 2's loads.
  const Run r = run_gen(train + " --set name=drawn", dir, "GEN_FAULT_DRAW=1:3 ");
  INFO(r.output);
  CHECK(r.code != 0);
  CHECK_THAT(r.output, Catch::Contains("step 4: the random generators of 1 of the 2 ranks differ from rank 0's"));
  CHECK(std::filesystem::exists(dir / "runs/drawn/checkpoints/step_0000002.pt"));
  CHECK_FALSE(std::filesystem::exists(dir / "runs/drawn/checkpoints/step_0000004.pt"));
  CHECK(run_gen("sample --ckpt " + dir / "runs/drawn/checkpoints/latest.pt", dir).code == 0);
}
