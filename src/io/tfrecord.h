// TFRecord files, the container of TensorBoard event files: a sequence of records, each
// u64 length, u32 masked CRC-32C of the length, the bytes, u32 masked CRC-32C of the bytes
// (little-endian). For event files each record is one serialized Event message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gen {

struct EventRecord {
  std::string data;  // one serialized Event
  int64_t step = 0;  // its step field (0 when it has none)
};

// One TFRecord frame around `data`.
std::string tfrecord_frame(std::string_view data);

// The records of `bytes` up to the first damaged or truncated one; `damage` (when given) says
// what ended the reading early, and stays empty when every byte was read.
std::vector<EventRecord> parse_event_records(std::string_view bytes, std::string* damage = nullptr);
// The same for a file; throws IoError when it cannot be read.
std::vector<EventRecord> read_event_records(const std::string& path, std::string* damage = nullptr);

}  // namespace gen
