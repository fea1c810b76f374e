#include <catch2/catch.hpp>

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/experiment.h"
#include "models/generative_model.h"
#include "models/model_checkpoint.h"
#include "models/registry.h"
#include "support/temp_dir.h"
#include "util/errors.h"

using gen::test::TempDir;

namespace {
gen::Config tiny_config() {
  gen::Config c = gen::load_resolved_config(GEN_SOURCE_DIR "/configs/tiny/dcgan.yaml", {});
  return c;
}
const gen::DataSpec kSpec = gen::DataSpec::image(1, 16, 16, 10);

std::string error_of(const std::string& path) {
  try {
    gen::open_checkpoint(path, torch::kCPU);
  } catch (const gen::CheckpointError& e) {
    return e.what();
  }
  return "";
}

// `payload` in gen's checkpoint frame: magic, format 2, length and CRC-32 (little-endian).
std::string framed(const std::string& payload) {
  std::string out("GENCKPT\0", 8);
  auto put = [&](uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out += char((v >> (8 * i)) & 0xff);
  };
  put(2, 4);
  put(payload.size(), 8);
  put(crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(payload.data()), uInt(payload.size())), 4);
  return out + payload;
}

std::string archive_bytes(torch::serialize::OutputArchive& archive) {
  std::ostringstream bytes;
  archive.save_to(bytes);
  return bytes.str();
}
}  // namespace

TEST_CASE("checkpoint: round trip restores weights, optimizers, config, step and data shape", "[train]") {
  TempDir dir;
  const gen::Config config = tiny_config();
  torch::manual_seed(0);
  auto a = gen::build_model(config, kSpec, torch::kCPU);
  gen::Batch batch{torch::rand({16, 1, 16, 16}) * 2 - 1, {}};
  a->train_step(batch);
  gen::save_checkpoint(dir / "c.pt", config, kSpec, 17, *a);

  torch::manual_seed(99);  // different initial weights
  auto b = gen::build_model(config, kSpec, torch::kCPU);
  gen::Checkpoint ckpt = gen::open_checkpoint(dir / "c.pt", torch::kCPU);
  CHECK(ckpt.step == 17);
  CHECK(ckpt.format == gen::kCheckpointFormat);
  CHECK(ckpt.data.shape.height == 16);
  CHECK(ckpt.data.shape.num_classes == 10);
  CHECK(ckpt.config.model.kind == "dcgan");
  CHECK(ckpt.config.model.options["latent_dim"].as<int>() == 8);
  gen::restore_checkpoint(ckpt, *b);

  gen::SampleRequest r;
  r.n = 4;
  r.seed = 3;
  CHECK(torch::equal(a->sample(r).images, b->sample(r).images));
  r.fixed_noise = true;
  CHECK(torch::equal(a->sample(r).images, b->sample(r).images));
  // Same optimizer state: one more identical step keeps them identical.
  torch::manual_seed(5);
  a->train_step(batch);
  torch::manual_seed(5);
  b->train_step(batch);
  r.fixed_noise = false;
  CHECK(torch::equal(a->sample(r).images, b->sample(r).images));
  // Nothing but the checkpoint is left in the folder (no temp files).
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  CHECK(files == 1);
}

TEST_CASE("checkpoint: damaged, foreign and newer files are CheckpointErrors naming the file", "[train]") {
  TempDir dir;
  const gen::Config config = tiny_config();
  auto model = gen::build_model(config, kSpec, torch::kCPU);
  gen::save_checkpoint(dir / "good.pt", config, kSpec, 1, *model);
  const std::string good = gen::test::read_text(dir / "good.pt");

  gen::test::write_text(dir / "cut.pt", good.substr(0, good.size() / 2));
  CHECK_THAT(error_of(dir / "cut.pt"), Catch::Contains("cut.pt: truncated or padded: header says"));
  gen::test::write_text(dir / "head.pt", good.substr(0, 10));
  CHECK_THAT(error_of(dir / "head.pt"), Catch::Contains("head.pt: truncated checkpoint header"));
  std::string flipped = good;
  flipped[flipped.size() / 2] = char(flipped[flipped.size() / 2] ^ 0x10);
  gen::test::write_text(dir / "flip.pt", flipped);
  CHECK_THAT(error_of(dir / "flip.pt"), Catch::Contains("flip.pt: corrupted: checksum mismatch"));
  std::string future = good;
  future[8] = char(99);  // header format field
  gen::test::write_text(dir / "future.pt", future);
  CHECK_THAT(error_of(dir / "future.pt"), Catch::Contains("format 99 by a newer gen"));
  gen::test::write_text(dir / "text.pt", "hello");
  CHECK_THAT(error_of(dir / "text.pt"), Catch::Contains("text.pt: not a gen checkpoint (unknown file signature)"));
  gen::test::write_text(dir / "zip.pt", "PK\x03\x04 but not really a zip");
  CHECK_THAT(error_of(dir / "zip.pt"), Catch::Contains("zip.pt: a bare archive without gen's checksummed header"));
  gen::test::write_text(dir / "framed_junk.pt", framed("PK\x03\x04 but not really a zip"));
  CHECK_THAT(error_of(dir / "framed_junk.pt"), Catch::Contains("framed_junk.pt: not a readable checkpoint"));
  CHECK_THAT(error_of(dir / "none.pt"), Catch::Contains("none.pt: cannot open checkpoint"));

  torch::serialize::OutputArchive foreign;
  foreign.write("weights", torch::ones({2}));
  gen::test::write_text(dir / "foreign.pt", framed(archive_bytes(foreign)));
  CHECK_THAT(error_of(dir / "foreign.pt"), Catch::Contains("not a gen checkpoint (no gen/format)"));

  torch::serialize::OutputArchive newer;
  newer.write("gen/format", c10::IValue(int64_t(999)));
  gen::test::write_text(dir / "newer.pt", framed(archive_bytes(newer)));
  CHECK_THAT(error_of(dir / "newer.pt"), Catch::Contains("newer gen") && Catch::Contains("update gen"));
}

TEST_CASE("checkpoint: a model of another shape does not load silently", "[train]") {
  TempDir dir;
  gen::Config config = tiny_config();
  auto model = gen::build_model(config, kSpec, torch::kCPU);
  gen::save_checkpoint(dir / "c.pt", config, kSpec, 1, *model);
  gen::Checkpoint ckpt = gen::open_checkpoint(dir / "c.pt", torch::kCPU);
  auto bigger = gen::build_model(config, gen::DataSpec::image(1, 32, 32, 10), torch::kCPU);
  CHECK_THROWS_AS(gen::restore_checkpoint(ckpt, *bigger), gen::CheckpointError);
}

TEST_CASE("checkpoint: newest is found by step and pruning keeps the newest, and always the one just written",
          "[train]") {
  TempDir dir;
  for (int s : {5, 40, 300, 7}) gen::test::write_text(dir / gen::checkpoint_name(s), "x");
  gen::test::write_text(dir / "step_0000999.pt.tmp.1", "partial");  // never counts
  CHECK(gen::latest_checkpoint(dir.path()) == dir / "step_0000300.pt");
  gen::prune_checkpoints(dir.path(), 3, dir / "step_0000300.pt");
  CHECK_FALSE(std::filesystem::exists(dir / "step_0000005.pt"));
  CHECK(std::filesystem::exists(dir / "step_0000007.pt"));
  CHECK(std::filesystem::exists(dir / "step_0000040.pt"));
  CHECK(std::filesystem::exists(dir / "step_0000300.pt"));
  gen::prune_checkpoints(dir.path(), 1, dir / "step_0000007.pt");  // an older step, just written: it stays
  CHECK_FALSE(std::filesystem::exists(dir / "step_0000040.pt"));
  CHECK_FALSE(std::filesystem::exists(dir / "step_0000300.pt"));
  CHECK(std::filesystem::exists(dir / "step_0000007.pt"));
  CHECK(gen::latest_checkpoint(dir / "nothing").empty());
  CHECK(gen::remove_partial_checkpoints(dir.path()) == 1);
  CHECK_FALSE(std::filesystem::exists(dir / "step_0000999.pt.tmp.1"));
  CHECK(std::filesystem::exists(dir / "step_0000007.pt"));
}

TEST_CASE("checkpoint: a format 1 file (a bare archive without the checksummed header) is refused with one line",
          "[train]") {
  TempDir dir;
  const gen::Config config = tiny_config();
  auto a = gen::build_model(config, kSpec, torch::kCPU);
  torch::serialize::OutputArchive archive;
  archive.write("gen/format", c10::IValue(int64_t(1)));
  torch::serialize::OutputArchive model_archive;
  a->save(model_archive);
  archive.write("model", model_archive);
  archive.save_to(dir / "old.pt");
  const std::string e = error_of(dir / "old.pt");
  CHECK_THAT(e, Catch::Contains("old.pt: a bare archive") && Catch::Contains("format 1"));
}

TEST_CASE(
    "checkpoint: a damaged TorchScript type inside a valid frame is a CheckpointError, not a crash (found by "
    "fuzz_checkpoint)",
    "[train]") {
  TempDir dir;
  const gen::Config config = tiny_config();
  auto a = gen::build_model(config, kSpec, torch::kCPU);
  gen::save_checkpoint(dir / "c.pt", config, kSpec, 3, *a);
  std::ifstream in(dir / "c.pt", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string payload = bytes.substr(24);
  // Point a module's type annotation at a type that does not exist (archives are stored uncompressed).
  const size_t at = payload.find(": __torch__.");
  REQUIRE(at != std::string::npos);
  payload.replace(at + 2, 9, "__bogus__");
  std::string framed = bytes.substr(0, 20);  // magic, format, length (unchanged)
  const uint32_t crc = static_cast<uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(payload.data()), uInt(payload.size())));
  for (int i = 0; i < 4; ++i) framed += char((crc >> (8 * i)) & 0xff);
  std::ofstream(dir / "d.pt", std::ios::binary)
      .write((framed + payload).data(), std::streamsize(framed.size() + payload.size()));
  const std::string e = error_of(dir / "d.pt");
  INFO(e);
  CHECK_THAT(e, Catch::Contains("d.pt:") && Catch::Contains("damaged"));
}

TEST_CASE("checkpoint: a valid file with an impossible data description is a CheckpointError naming the field",
          "[train]") {
  TempDir dir;
  const gen::Config config = tiny_config();
  auto no_model = [](torch::serialize::OutputArchive&) {};
  gen::write_checkpoint(dir / "channels.pt", config, gen::DataSpec::image(-3, 16, 16), 1, 1.0, no_model);
  CHECK_THAT(error_of(dir / "channels.pt"), Catch::Contains("channels.pt: malformed gen/data_spec: channels -3"));
  gen::write_checkpoint(dir / "huge.pt", config, gen::DataSpec::image(1, 1 << 20, 16), 1, 1.0, no_model);
  CHECK_THAT(error_of(dir / "huge.pt"), Catch::Contains("height 1048576 is outside"));
  gen::DataSpec text;
  text.text = {"char", "abc", 4, 8};
  gen::write_checkpoint(dir / "vocab.pt", config, text, 1, 1.0, no_model);
  CHECK_THAT(error_of(dir / "vocab.pt"), Catch::Contains("vocab_size 4 but the vocabulary has 3 symbols"));
  text.text = {"morse", "", 2, 8};
  gen::write_checkpoint(dir / "tokenizer.pt", config, text, 1, 1.0, no_model);
  CHECK_THAT(error_of(dir / "tokenizer.pt"), Catch::Contains("malformed gen/tokenizer: 'morse'"));
  text.text = {"char", "abc", 3, 8};
  gen::write_checkpoint(dir / "fine.pt", config, text, 1, 1.0, no_model);
  CHECK(error_of(dir / "fine.pt").empty());
}
