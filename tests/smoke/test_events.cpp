// End-to-end: the TensorBoard event files of real runs, decoded record by record (CRCs
// checked) and message by message with the field numbers of TensorFlow's event.proto and
// summary.proto.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <set>

#include "io/event_file.h"
#include "io/proto_wire.h"
#include "support/run_gen.h"

namespace fs = std::filesystem;
using namespace gen::test;

namespace {

struct Entry {
  std::string tag;
  std::string kind;  // scalar | image | text
  int64_t step = 0;
  std::string payload;  // image: PNG bytes; text: the string
};

struct Decoded {
  int64_t records = 0;
  std::string file_version;
  std::vector<Entry> entries;
};

std::vector<std::pair<int, std::string>> sub_messages(std::string_view msg, int number) {
  std::vector<std::pair<int, std::string>> out;
  size_t pos = 0;
  gen::wire::Field f;
  std::string error;
  while (gen::wire::next_field(msg, pos, f, error)) {
    if (f.number == number && f.type == gen::wire::kBytes) out.emplace_back(f.number, std::string(f.bytes));
  }
  REQUIRE(error.empty());
  return out;
}

std::string bytes_field(std::string_view msg, int number) {
  for (const auto& [n, b] : sub_messages(msg, number)) return b;
  return "";
}

bool has_field(std::string_view msg, int number) {
  size_t pos = 0;
  gen::wire::Field f;
  std::string error;
  while (gen::wire::next_field(msg, pos, f, error)) {
    if (f.number == number) return true;
  }
  return false;
}

// Every record of FILE (REQUIREs an intact file), its summary values by kind.
Decoded decode(const std::string& file) {
  std::string damage;
  const auto records = gen::read_event_records(file, &damage);
  REQUIRE(damage.empty());
  Decoded d;
  d.records = int64_t(records.size());
  for (const gen::EventRecord& r : records) {
    if (const std::string v = bytes_field(r.data, 3); !v.empty()) d.file_version = v;  // Event.file_version
    for (const auto& [n, summary] : sub_messages(r.data, 5)) {                        // Event.summary
      for (const auto& [m, value] : sub_messages(summary, 1)) {                       // Summary.value
        Entry e;
        e.tag = bytes_field(value, 1);
        e.step = r.step;
        if (has_field(value, 2)) {
          e.kind = "scalar";  // simple_value
        } else if (has_field(value, 4)) {
          e.kind = "image";
          e.payload = bytes_field(bytes_field(value, 4), 4);  // Image.encoded_image_string
        } else if (has_field(value, 8)) {
          const std::string plugin = bytes_field(bytes_field(bytes_field(value, 9), 1), 1);  // metadata.plugin_data.plugin_name
          e.kind = plugin == "text" ? "text" : "tensor:" + plugin;
          e.payload = bytes_field(bytes_field(value, 8), 8);  // TensorProto.string_val
        }
        d.entries.push_back(e);
      }
    }
  }
  return d;
}

std::map<std::string, int> counts(const std::vector<Entry>& entries) {
  std::map<std::string, int> c;
  for (const Entry& e : entries) ++c[e.kind + " " + e.tag];
  return c;
}

}  // namespace

TEST_CASE("events: a DCGAN run writes one event file with every logged figure, each grid and the config", "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  REQUIRE(run_gen("train configs/tiny/dcgan.yaml" + sets, dir).code == 0);  // 6 steps, log 2, samples 3
  const auto files = gen::event_files(dir / "runs/dcgan");
  REQUIRE(files.size() == 1);
  const Decoded d = decode(files[0]);
  CHECK(d.file_version == "brain.Event:2");
  const auto c = counts(d.entries);
  for (const char* scalar : {"loss_d", "loss_g", "d_real", "d_fake", "lr", "steps_per_s", "images_per_s"}) {
    INFO(scalar);
    CHECK(c.at(std::string("scalar ") + scalar) == 3);  // steps 2, 4, 6
  }
  CHECK(c.at("image samples") == 2);  // steps 3 and 6
  CHECK(c.at("text config") == 1);
  for (const Entry& e : d.entries) {
    if (e.kind == "image") CHECK(e.payload.substr(1, 3) == "PNG");
    if (e.kind == "text") CHECK_THAT(e.payload, Catch::Contains("    model:") && Catch::Contains("kind: dcgan"));
    if (e.tag == "config") CHECK(e.step == 0);
  }
  // The scalars are metrics.jsonl's values, line for line.
  CHECK(count_lines(read_text(dir / "runs/dcgan/metrics.jsonl")) == 3);

  REQUIRE(run_gen("train configs/tiny/dcgan.yaml --set name=quiet --set logging.tensorboard=false" + sets, dir).code ==
          0);
  CHECK(gen::event_files(dir / "runs/quiet").empty());
}

TEST_CASE("events: a resumed run appends a new file, and no step is recorded twice across the files", "[smoke]") {
  TempDir dir;
  const std::string sets = with_tiny_mnist(dir);
  REQUIRE(run_gen("train configs/tiny/dcgan.yaml" + sets, dir).code == 0);  // checkpoints at 3 and 6
  // Resuming from step 3 (as after a crash past it): steps 4-6 are trained again.
  const Run r = run_gen("train configs/tiny/dcgan.yaml --set train.steps=8 --resume " +
                            (dir / "runs/dcgan/checkpoints/step_0000003.pt") + sets,
                        dir);
  REQUIRE(r.code == 0);
  const auto files = gen::event_files(dir / "runs/dcgan");
  REQUIRE(files.size() == 2);
  std::set<std::pair<std::string, int64_t>> seen;
  std::map<std::string, std::vector<int64_t>> steps;
  for (const auto& file : files) {
    for (const Entry& e : decode(file).entries) {
      INFO(e.kind << " " << e.tag << " at step " << e.step);
      CHECK(seen.insert({e.kind + " " + e.tag, e.step}).second);
      steps[e.kind + " " + e.tag].push_back(e.step);
    }
  }
  std::sort(steps["scalar loss_d"].begin(), steps["scalar loss_d"].end());
  CHECK(steps["scalar loss_d"] == std::vector<int64_t>{2, 4, 6, 8});
  CHECK(steps["text config"] == std::vector<int64_t>{0, 3});
}

TEST_CASE("events: a Transformer run records its text samples", "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "text");
  write_text(dir / "text/input.txt", tiny_text());
  REQUIRE(run_gen("train configs/tiny/transformer.yaml --set data.root=" + (dir / "text") + " --set out_dir=" +
                      (dir / "runs"),
                  dir)
              .code == 0);
  const auto files = gen::event_files(dir / "runs/transformer");
  REQUIRE(files.size() == 1);
  const Decoded d = decode(files[0]);
  const auto c = counts(d.entries);
  CHECK(c.at("text samples") == 1);  // sample_every 6 of 6 steps
  CHECK(c.at("scalar val_loss") == 2);  // eval_every 3
  for (const Entry& e : d.entries) {
    if (e.tag == "samples") CHECK(e.payload.size() > 20);
  }
}
