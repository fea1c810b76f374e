#include <catch2/catch.hpp>

#include "data/idx_file.h"
#include "support/idx_writer.h"
#include "support/temp_dir.h"
#include "util/errors.h"

using gen::DataError;
using gen::read_idx;
using gen::test::idx_bytes;
using gen::test::TempDir;
using gen::test::write_bytes;

namespace {
std::string error_of(const std::string& path) {
  try {
    read_idx(path);
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("idx: raw and gzip files read to the same dims and bytes", "[data]") {
  TempDir dir;
  const std::vector<uint8_t> data = {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255};
  for (bool gz : {false, true}) {
    const std::string path = dir / (gz ? "a.gz" : "a");
    write_bytes(path, idx_bytes({2, 3, 2}, data), gz);
    const gen::IdxArray a = read_idx(path);
    CHECK(a.dims == std::vector<int64_t>{2, 3, 2});
    CHECK(a.data == data);
  }
}

TEST_CASE("idx: bad files give a DataError naming the file and the problem", "[data]") {
  TempDir dir;
  const std::vector<uint8_t> data(12, 7);
  auto write = [&](const std::string& name, std::vector<uint8_t> bytes) {
    write_bytes(dir / name, bytes, false);
    return dir / name;
  };

  auto bad_magic = idx_bytes({12}, data);
  bad_magic[0] = 0x1f;
  CHECK_THAT(error_of(write("magic", bad_magic)), Catch::Contains("magic: not an IDX file"));

  auto truncated = idx_bytes({2, 3, 2}, data);
  truncated.resize(truncated.size() - 5);
  CHECK_THAT(error_of(write("trunc", truncated)),
             Catch::Contains("trunc: truncated: header says 12 bytes of data, file has 7"));

  auto trailing = idx_bytes({2, 3, 2}, data);
  trailing.push_back(1);
  CHECK_THAT(error_of(write("trail", trailing)),
             Catch::Contains("trail: holds more than the 28 bytes its header describes"));

  auto float_type = idx_bytes({12}, data);
  float_type[2] = 0x0D;
  CHECK_THAT(error_of(write("float", float_type)), Catch::Contains("element type 0x0d is not supported"));

  CHECK_THAT(error_of(write("short", {0, 0})), Catch::Contains("short: not an IDX file"));
  CHECK_THAT(error_of(write("nodims", {0, 0, 8, 0})), Catch::Contains("0 dimensions"));
  CHECK_THAT(error_of(write("zero", idx_bytes({0, 3}, {}))), Catch::Contains("dimension 0 is zero"));
  CHECK_THAT(error_of(write("huge", idx_bytes({0x7fffffff, 0x7fffffff}, {}))), Catch::Contains("absurd size"));
  CHECK_THAT(error_of(dir / "missing"), Catch::Contains("missing: cannot open"));
}

TEST_CASE("idx: a cut-off gzip stream is an error, not a short read", "[data]") {
  TempDir dir;
  std::vector<uint8_t> data(4000);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<uint8_t>((i * 7919 + i / 7) % 251);  // barely compressible
  write_bytes(dir / "full.gz", idx_bytes({4000}, data), true);
  auto gz = gen::test::read_text(dir / "full.gz");
  gen::test::write_text(dir / "cut.gz", gz.substr(0, gz.size() / 2));
  CHECK_THAT(error_of(dir / "cut.gz"), Catch::Contains("cut.gz"));
}

TEST_CASE("idx: a small gzip file that inflates far beyond its header stops at the header's size", "[data]") {
  TempDir dir;
  // 10 images of 4x4 (160 bytes), then 64 MiB of zeros: about 64 KiB compressed.
  std::vector<uint8_t> bytes = idx_bytes({10, 4, 4}, std::vector<uint8_t>(160, 9));
  bytes.resize(bytes.size() + (size_t(64) << 20), 0);
  write_bytes(dir / "bomb.gz", bytes, true);
  CHECK_THAT(error_of(dir / "bomb.gz"), Catch::Contains("bomb.gz: holds more than the 176 bytes its header describes"));
  const auto header = gen::parse_idx_header(idx_bytes({10, 4, 4}, {}), "x", false);
  REQUIRE(header.has_value());
  CHECK(header->size + header->data_bytes == 16 + 160);
  CHECK_FALSE(gen::parse_idx_header({0, 0, 8, 3, 0, 0}, "x", false).has_value());  // not all there yet
}
