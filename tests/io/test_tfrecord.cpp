// CRC-32C, TFRecord framing and the protobuf wire format of TensorBoard event files (torch-free,
// run under ASan with the other parsers).
#include <catch2/catch.hpp>

#include <string>

#include "io/crc32c.h"
#include "io/proto_wire.h"
#include "io/tfrecord.h"

TEST_CASE("crc32c: the published test vectors (RFC 3720 B.4, and \"123456789\")", "[io]") {
  std::string zeros(32, '\0'), ones(32, '\xff'), up(32, '\0'), down(32, '\0');
  for (int i = 0; i < 32; ++i) up[size_t(i)] = char(i), down[size_t(i)] = char(31 - i);
  CHECK(gen::crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);
  CHECK(gen::crc32c(ones.data(), ones.size()) == 0x62A8AB43u);
  CHECK(gen::crc32c(up.data(), up.size()) == 0x46DD794Eu);
  CHECK(gen::crc32c(down.data(), down.size()) == 0x113FDB5Cu);
  CHECK(gen::crc32c("123456789", 9) == 0xE3069283u);
  const uint32_t c = gen::crc32c("123456789", 9);
  CHECK(gen::masked_crc32c("123456789", 9) == ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

TEST_CASE("protobuf wire: fields written are read back, malformed input is named", "[io]") {
  std::string m;
  gen::wire::put_varint_field(m, 2, 300);
  gen::wire::put_double_field(m, 1, 1.5);
  gen::wire::put_float_field(m, 3, -2.0f);
  gen::wire::put_bytes_field(m, 5, "abc");
  gen::wire::put_varint_field(m, 7, ~uint64_t(0));
  CHECK(m.substr(0, 3) == std::string("\x10\xac\x02", 3));  // field 2 varint 300, as the protobuf docs show
  size_t pos = 0;
  gen::wire::Field f;
  std::string error;
  REQUIRE(gen::wire::next_field(m, pos, f, error));
  CHECK((f.number == 2 && f.type == gen::wire::kVarint && f.value == 300));
  REQUIRE(gen::wire::next_field(m, pos, f, error));
  CHECK((f.number == 1 && f.type == gen::wire::kFixed64 && f.value == 0x3FF8000000000000ull));
  REQUIRE(gen::wire::next_field(m, pos, f, error));
  CHECK((f.number == 3 && f.type == gen::wire::kFixed32 && f.value == 0xC0000000u));
  REQUIRE(gen::wire::next_field(m, pos, f, error));
  CHECK((f.number == 5 && f.bytes == "abc"));
  REQUIRE(gen::wire::next_field(m, pos, f, error));
  CHECK(f.value == ~uint64_t(0));
  CHECK_FALSE(gen::wire::next_field(m, pos, f, error));
  CHECK(error.empty());

  std::string cut;
  gen::wire::put_bytes_field(cut, 1, "hello");
  cut.pop_back();
  pos = 0;
  CHECK_FALSE(gen::wire::next_field(cut, pos, f, error));
  CHECK(error == "truncated bytes field");
  pos = 0;
  CHECK_FALSE(gen::wire::next_field(std::string("\x0b", 1), pos, f, error));  // wire type 3 (groups)
  CHECK(error == "unsupported wire type 3");
}

TEST_CASE("tfrecord: frames read back with their steps, a flipped or missing byte ends the reading, named", "[io]") {
  std::string event1, event2;
  gen::wire::put_varint_field(event1, 2, 7);  // Event.step
  gen::wire::put_varint_field(event2, 2, 9);
  gen::wire::put_bytes_field(event2, 3, "brain.Event:2");
  const std::string file = gen::tfrecord_frame(event1) + gen::tfrecord_frame(event2);
  CHECK(file.size() == 2 * 16 + event1.size() + event2.size());
  std::string damage;
  auto records = gen::parse_event_records(file, &damage);
  REQUIRE(records.size() == 2);
  CHECK(damage.empty());
  CHECK((records[0].step == 7 && records[1].step == 9 && records[1].data == event2));

  for (size_t at : {size_t(3), size_t(9), size_t(13), file.size() - 1}) {  // length, its CRC, data, data CRC
    std::string bad = file;
    bad[at] = char(bad[at] ^ 0x20);
    INFO("byte " << at);
    records = gen::parse_event_records(bad, &damage);
    CHECK(records.size() == (at < 16 + event1.size() ? 0u : 1u));
    CHECK_THAT(damage, Catch::Contains("checksum mismatch") || Catch::Contains("truncated"));
  }
  records = gen::parse_event_records(file.substr(0, file.size() - 2), &damage);
  CHECK(records.size() == 1);
  CHECK_THAT(damage, Catch::StartsWith("truncated record"));
}
