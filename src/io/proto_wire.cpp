#include "io/proto_wire.h"

#include <cstring>

namespace gen::wire {

namespace {
void put_tag(std::string& out, int field, int type) { put_varint(out, (uint64_t(field) << 3) | uint64_t(type)); }

void put_le(std::string& out, uint64_t bits, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(char((bits >> (8 * i)) & 0xff));
}

bool get_varint(std::string_view s, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && pos < s.size(); shift += 7) {
    const auto byte = uint8_t(s[pos++]);
    v |= uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

bool get_le(std::string_view s, size_t& pos, int bytes, uint64_t& v) {
  if (s.size() - pos < size_t(bytes)) return false;
  v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(uint8_t(s[pos + size_t(i)])) << (8 * i);
  pos += size_t(bytes);
  return true;
}
}  // namespace

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(char((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(char(v));
}

void put_varint_field(std::string& out, int field, uint64_t v) {
  put_tag(out, field, kVarint);
  put_varint(out, v);
}

void put_double_field(std::string& out, int field, double v) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  put_tag(out, field, kFixed64);
  put_le(out, bits, 8);
}

void put_float_field(std::string& out, int field, float v) {
  uint32_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  put_tag(out, field, kFixed32);
  put_le(out, bits, 4);
}

void put_bytes_field(std::string& out, int field, std::string_view bytes) {
  put_tag(out, field, kBytes);
  put_varint(out, bytes.size());
  out.append(bytes.data(), bytes.size());
}

bool next_field(std::string_view message, size_t& pos, Field& field, std::string& error) {
  error.clear();
  if (pos >= message.size()) return false;
  uint64_t tag = 0;
  if (!get_varint(message, pos, tag)) return error = "truncated field tag", false;
  field = Field{};
  field.number = int(tag >> 3);
  field.type = int(tag & 7);
  if (field.number == 0 || tag >> 3 > (1u << 29)) return error = "bad field number", false;
  switch (field.type) {
    case kVarint:
      if (!get_varint(message, pos, field.value)) return error = "truncated varint", false;
      return true;
    case kFixed64:
      if (!get_le(message, pos, 8, field.value)) return error = "truncated fixed64", false;
      return true;
    case kFixed32:
      if (!get_le(message, pos, 4, field.value)) return error = "truncated fixed32", false;
      return true;
    case kBytes: {
      uint64_t n = 0;
      if (!get_varint(message, pos, n) || n > message.size() - pos) return error = "truncated bytes field", false;
      field.bytes = message.substr(pos, size_t(n));
      pos += size_t(n);
      return true;
    }
    default:
      return error = "unsupported wire type " + std::to_string(field.type), false;
  }
}

}  // namespace gen::wire
