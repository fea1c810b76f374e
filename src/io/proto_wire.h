// The protocol-buffer wire format, for the few TensorBoard messages gen writes (io/event_file.h)
// without a protobuf library: the CUDA build's dependency bundle has none, and five messages of
// a handful of fields each do not need one. Writing: fields appended to a string. Reading:
// one field at a time, with every length checked against the bytes there are.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gen::wire {

// Wire types.
constexpr int kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5;

void put_varint(std::string& out, uint64_t v);
void put_varint_field(std::string& out, int field, uint64_t v);
void put_double_field(std::string& out, int field, double v);
void put_float_field(std::string& out, int field, float v);
// Strings, bytes and embedded messages.
void put_bytes_field(std::string& out, int field, std::string_view bytes);

struct Field {
  int number = 0;
  int type = 0;
  uint64_t value = 0;      // varint, fixed64 and fixed32 fields (the raw bits)
  std::string_view bytes;  // length-delimited fields
};

// Reads the field at `pos` of `message` and moves `pos` past it. False at the end of the
// message or on malformed input (then `error` says what, else it stays empty).
bool next_field(std::string_view message, size_t& pos, Field& field, std::string& error);

}  // namespace gen::wire
