// End-to-end: gen bench times steps and counts their model FLOPs from the architecture.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <set>

#include "support/idx_writer.h"
#include "support/run_gen.h"

using namespace gen::test;

namespace {
double figure(const std::string& json, const std::string& name) {
  std::smatch m;
  const std::regex pattern("\"" + name + "\": ([0-9.e+-]+)");
  REQUIRE(std::regex_search(json, m, pattern));
  return std::stod(m[1]);
}
}  // namespace

TEST_CASE("bench: the tiny Transformer's and DCGAN's FLOPs per step are the architecture's, with timings", "[smoke]") {
  TempDir dir;
  std::filesystem::create_directories(dir / "data");
  write_text(dir / "data/input.txt", tiny_text());
  gen::test::write_tiny_mnist(dir / "data", 64, 28);
  const std::string json = dir / "bench.json";
  const std::string args = "bench configs/tiny/transformer.yaml configs/tiny/dcgan.yaml --steps 2 --warmup 1";
  Run r = run_gen(args + " --profile 2 --json " + json + tiny_sets(dir), dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(count_lines(r.output) >= 2);
  CHECK_THAT(r.output, Catch::Contains("configs/tiny/transformer.yaml | cpu") && Catch::Contains("ms/step") &&
                           Catch::Contains("tok/s") && Catch::Contains("MFU"));
  const std::string text = read_text(json);
  const auto second = text.find("configs/tiny/dcgan.yaml");
  REQUIRE(second != std::string::npos);
  const std::string gpt = text.substr(0, second), gan = text.substr(second);

  // Transformer (n_layer 1, n_embd 16, block 16, batch 4; char vocabulary of the text): per
  // token and layer 24 d^2 (qkv, projection, 4x MLP) + 4 T d (q k^T, att v), plus 2 d V for
  // the head; 3x for training.
  const std::string t = tiny_text();
  const double V = double(std::set<char>(t.begin(), t.end()).size());
  const double L = 1, d = 16, T = 16, B = 4;
  CHECK(figure(gpt, "flops_per_step") == 3 * B * T * (L * (24 * d * d + 4 * T * d) + 2 * d * V));
  CHECK(figure(gpt, "ms_per_step") > 0);
  CHECK(figure(gpt, "tokens_per_s") > 0);
  CHECK(figure(gpt, "mfu") > 0);
  // --profile: two more steps with every op timed, split by phase; the parts make up the step.
  CHECK_THAT(r.output, Catch::Contains("profile of 2 more step(s)") && Catch::Contains("self ms/step") &&
                           Catch::Contains("backward  aten::"));
  CHECK(figure(gpt, "profile_forward_ms") > 0);
  CHECK(figure(gpt, "profile_backward_ms") > 0);
  CHECK(figure(gpt, "profile_no_grad_ms") > 0);  // the optimizer's update
  CHECK(figure(gpt, "profile_forward_ms") + figure(gpt, "profile_backward_ms") + figure(gpt, "profile_no_grad_ms") +
            figure(gpt, "profile_outside_ms") ==
        Approx(figure(gpt, "profiled_ms_per_step")).epsilon(1e-3));

  // DCGAN at 16 px (latent 8, widths 8, batch 16), per image:
  // G: 8->16 (1x1 -> 4x4): 2*8*16*16; 16->8 (4x4 -> 8x8): 2*16*16*8*16; 8->1 (8x8 -> 16x16): 2*8*64*1*16
  // D: 1->8 (-> 8x8): 2*8*64*1*16; 8->16 (-> 4x4): 2*16*16*8*16; head 16->1 (-> 1x1): 2*16*16
  // A step: D on reals and fakes, G on fakes (D's step), D on fakes (G's step); 3x for training.
  const double G = 2 * 8 * 16 * 16 + 2 * 16 * 16 * 8 * 16 + 2 * 8 * 64 * 16;
  const double D = 2 * 8 * 64 * 16 + 2 * 16 * 16 * 8 * 16 + 2 * 16 * 16;
  CHECK(figure(gan, "flops_per_step") == 3 * 16 * (3 * D + G));
  CHECK(figure(gan, "examples_per_s") > 0);
}

TEST_CASE("bench: a config mistake names the file and key before anything is timed", "[smoke]") {
  TempDir dir;
  Run r = run_gen("bench configs/tiny/transformer.yaml configs/tiny/dcgan.yaml --set model.n_layr=2", dir);
  CHECK(r.code == 3);
  CHECK_THAT(r.output, Catch::Contains("n_layr"));
  CHECK_THAT(r.output, !Catch::Contains("ms/step"));
}
