#include "io/tfrecord.h"


#include "io/crc32c.h"
#include "io/proto_wire.h"
#include "util/errors.h"
#include "util/input_file.h"

namespace gen {

namespace {

// gen reads its own event files back (resume checks, gen plot): far beyond a real run's.
constexpr uint64_t kMaxEventFileBytes = uint64_t(4) << 30;
constexpr int kEventStep = 2;  // Event.step in tensorflow/core/util/event.proto

uint32_t read_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | uint8_t(p[i]);
  return v;
}

void append_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(char((v >> (8 * i)) & 0xff));
}

int64_t step_of(const std::string& event) {
  size_t pos = 0;
  wire::Field f;
  std::string error;
  while (wire::next_field(event, pos, f, error)) {
    if (f.number == kEventStep && f.type == wire::kVarint) return int64_t(f.value);
  }
  return 0;
}

}  // namespace

std::string tfrecord_frame(std::string_view data) {
  std::string out;
  char length[8];
  for (int i = 0; i < 8; ++i) length[i] = char((uint64_t(data.size()) >> (8 * i)) & 0xff);
  out.append(length, 8);
  append_u32(out, masked_crc32c(length, 8));
  out.append(data.data(), data.size());
  append_u32(out, masked_crc32c(data.data(), data.size()));
  return out;
}

std::vector<EventRecord> read_event_records(const std::string& path, std::string* damage) {
  const InputFile in(path);
  return parse_event_records(in.read_all(kMaxEventFileBytes, "TensorBoard event file gen reads"), damage);
}

std::vector<EventRecord> parse_event_records(std::string_view bytes, std::string* damage) {
  std::vector<EventRecord> records;
  std::string why;
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 12) {
      why = "truncated record header";
      break;
    }
    uint64_t length = 0;
    for (int i = 7; i >= 0; --i) length = (length << 8) | uint8_t(bytes[pos + size_t(i)]);
    if (read_u32(bytes.data() + pos + 8) != masked_crc32c(bytes.data() + pos, 8)) {
      why = "length checksum mismatch at byte " + std::to_string(pos);
      break;
    }
    if (length > bytes.size() - pos - 12 || bytes.size() - pos - 12 - length < 4) {
      why = "truncated record at byte " + std::to_string(pos);
      break;
    }
    const char* data = bytes.data() + pos + 12;
    if (read_u32(data + length) != masked_crc32c(data, length)) {
      why = "data checksum mismatch at byte " + std::to_string(pos);
      break;
    }
    EventRecord r;
    r.data.assign(data, length);
    r.step = step_of(r.data);
    records.push_back(std::move(r));
    pos += 12 + length + 4;
  }
  if (damage) *damage = why;
  return records;
}

}  // namespace gen
