#include <catch2/catch.hpp>

#include <map>

#include "dist/launch_env.h"
#include "dist/world.h"
#include "core/batch.h"
#include "util/errors.h"

namespace {
gen::GetEnv env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}
}  // namespace

TEST_CASE("launch env: torchrun, torchrun's agent store, SLURM, and a plain process", "[dist]") {
  const gen::LaunchEnv none = gen::read_launch_env(env_of({}));
  CHECK_FALSE(none.distributed());
  CHECK(none.launcher == "none");

  const auto t = gen::read_launch_env(env_of({{"RANK", "3"}, {"WORLD_SIZE", "8"}, {"LOCAL_RANK", "1"},
                                              {"LOCAL_WORLD_SIZE", "2"}, {"MASTER_ADDR", "node0"},
                                              {"MASTER_PORT", "29500"}}));
  CHECK(t.launcher == "torchrun");
  // gen train --nproc-per-node marks its ranks: their logs and hints name it.
  CHECK(gen::read_launch_env(env_of({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"},
                                     {"MASTER_PORT", "29500"}, {"GEN_NPROC_PER_NODE", "2"}}))
            .launcher == "--nproc-per-node");
  CHECK(t.rank == 3);
  CHECK(t.world_size == 8);
  CHECK(t.local_rank == 1);
  CHECK(t.local_world_size == 2);
  CHECK(t.master_addr == "node0");
  CHECK(t.master_port == 29500);
  CHECK_FALSE(t.agent_store);

  const auto agent = gen::read_launch_env(env_of({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"},
                                                  {"MASTER_PORT", "1234"}, {"TORCHELASTIC_USE_AGENT_STORE", "True"},
                                                  {"TORCHELASTIC_RESTART_COUNT", "2"}}));
  CHECK(agent.agent_store);
  CHECK(agent.store_prefix == "/worker/attempt_2");
  CHECK(agent.restart_count == 2);
  CHECK(t.restart_count == 0);

  const auto slurm = gen::read_launch_env(env_of({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "16"},
                                                  {"SLURM_LOCALID", "1"}, {"MASTER_ADDR", "n1"},
                                                  {"MASTER_PORT", "29400"}}));
  CHECK(slurm.launcher == "slurm");
  CHECK(slurm.rank == 5);
  CHECK(slurm.world_size == 16);
  CHECK(slurm.local_rank == 1);
  CHECK(slurm.local_world_size == 1);  // srun binds each task to its own CPUs

  // WORLD_SIZE=1 needs no rendezvous.
  CHECK_FALSE(gen::read_launch_env(env_of({{"RANK", "0"}, {"WORLD_SIZE", "1"}})).distributed());
}

TEST_CASE("launch env: a missing or malformed variable is named", "[dist]") {
  auto message = [](std::map<std::string, std::string> vars) {
    try {
      gen::read_launch_env(env_of(std::move(vars)));
    } catch (const gen::UsageError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  CHECK_THAT(message({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "1"}}), Catch::Contains("MASTER_ADDR"));
  CHECK_THAT(message({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}}),
             Catch::Contains("RANK='2'") && Catch::Contains("0 to 1"));
  CHECK_THAT(message({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "99999"}}),
             Catch::Contains("MASTER_PORT"));
  CHECK_THAT(message({{"WORLD_SIZE", "2x"}, {"RANK", "0"}}), Catch::Contains("WORLD_SIZE='2x'"));
}

TEST_CASE("batch slice: each rank takes its own consecutive rows of the global batch, labels with them", "[dist]") {
  const gen::Batch batch{torch::arange(8).view({8, 1}), torch::arange(8) * 10};
  const gen::Batch second = batch.slice(1, 2);
  CHECK(torch::equal(second.x.view({-1}), torch::arange(4, 8)));
  CHECK(torch::equal(second.y, torch::arange(4, 8) * 10));
  CHECK(torch::equal(batch.slice(0, 4).x.view({-1}), torch::arange(0, 2)));
  CHECK_FALSE(gen::Batch{torch::zeros({3, 2}), {}}.slice(0, 3).y.defined());
  CHECK_THROWS(batch.slice(0, 3));
  // With 2 micro-batches (train.accumulate 2): rank 1 takes the second half of each of them.
  CHECK(torch::equal(batch.slice(1, 2, 2).x.view({-1}), torch::tensor({2, 3, 6, 7}, torch::kLong)));
  CHECK(torch::equal(batch.slice(1, 2, 2).y, torch::tensor({20, 30, 60, 70}, torch::kLong)));
}

TEST_CASE("launch env: a world of one joins c10d under torchrun only, and each rank takes its local rank GPU",
          "[dist]") {
  const auto lone = gen::read_launch_env(env_of({{"RANK", "0"}, {"WORLD_SIZE", "1"}, {"LOCAL_RANK", "0"},
                                                 {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "29500"}}));
  CHECK_FALSE(lone.distributed());
  CHECK(lone.joins_c10d());
  CHECK(lone.master_port == 29500);
  CHECK_FALSE(gen::read_launch_env(env_of({{"RANK", "0"}, {"WORLD_SIZE", "1"}})).joins_c10d());
  CHECK_FALSE(gen::read_launch_env(env_of({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}, {"MASTER_ADDR", "n1"},
                                           {"MASTER_PORT", "29400"}}))
                  .joins_c10d());
  CHECK_FALSE(gen::read_launch_env(env_of({})).joins_c10d());
  CHECK(gen::read_launch_env(env_of({{"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "2"}, {"MASTER_ADDR", "n1"},
                                     {"MASTER_PORT", "29400"}}))
            .joins_c10d());

  CHECK(gen::rank_gpu(1, 2, /*nccl=*/true) == 1);
  CHECK(gen::rank_gpu(3, 2, /*nccl=*/false) == 1);  // Gloo: ranks share the GPUs in turn
  CHECK_THROWS_WITH(gen::rank_gpu(2, 2, /*nccl=*/true), Catch::Contains("local rank 2") && Catch::Contains("2"));
  CHECK_THROWS_AS(gen::rank_gpu(0, 0, /*nccl=*/false), gen::UsageError);

  const torch::Device cpu(torch::kCPU), gpu(torch::kCUDA, 0);
  CHECK_FALSE(gen::uses_nccl(gen::DistBackend::kAuto, cpu));
  CHECK(gen::uses_nccl(gen::DistBackend::kAuto, gpu));
  CHECK_FALSE(gen::uses_nccl(gen::DistBackend::kGloo, gpu));
  CHECK(gen::uses_nccl(gen::DistBackend::kNccl, cpu));
}
