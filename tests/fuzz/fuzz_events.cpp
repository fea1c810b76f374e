// libFuzzer target: any bytes as a TensorBoard event file (what a resumed run reads back to
// drop the records of steps after its checkpoint). Must end in records and a damage note,
// never read past the end; every record's fields must parse or stop with an error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "io/proto_wire.h"
#include "io/tfrecord.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string damage;
  const auto records = gen::parse_event_records(std::string_view(reinterpret_cast<const char*>(data), size), &damage);
  for (const gen::EventRecord& r : records) {
    size_t pos = 0;
    gen::wire::Field f;
    std::string error;
    while (gen::wire::next_field(r.data, pos, f, error)) {
      if (f.type == gen::wire::kBytes) {  // an embedded message: walk it too
        size_t inner = 0;
        gen::wire::Field g;
        while (gen::wire::next_field(f.bytes, inner, g, error)) {
        }
      }
    }
  }
  return 0;
}
