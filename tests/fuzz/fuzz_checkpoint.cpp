// libFuzzer target: any bytes as a checkpoint file, through the whole loader (header,
// checksum, LibTorch's zip reader, gen's fields and embedded config). Must end in a
// Checkpoint or a CheckpointError / ConfigError. The checksum stops almost every mutation at
// the header. With GEN_FUZZ_PAYLOAD=1 the target also wraps each input in a freshly computed
// valid header, which sends mutated payloads into LibTorch's archive reader: that mode finds
// crashes inside LibTorch 1.13's TorchScript parser (a SEGV in ScriptTypeParser on a crafted
// code/*.py), which gen cannot catch -- like torch.load, a checkpoint is trusted input, and
// the checksum guarantees that accidental damage never reaches that parser.
#include <unistd.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "io/checkpoint.h"
#include "util/errors.h"

namespace {
const std::string& path() {
  static const std::string p = "/tmp/gen_fuzz_checkpoint_" + std::to_string(::getpid()) + ".pt";
  return p;
}

void load(const std::string& bytes) {
  { std::ofstream(path(), std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size())); }
  try {
    gen::open_checkpoint(path(), torch::kCPU);
  } catch (const gen::CheckpointError&) {
  } catch (const gen::ConfigError&) {
  }
}

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += char((v >> (8 * i)) & 0xff);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string raw(reinterpret_cast<const char*>(data), size);
  load(raw);
  static const bool payload_mode =
      std::getenv("GEN_FUZZ_PAYLOAD") && std::string(std::getenv("GEN_FUZZ_PAYLOAD")) == "1";
  if (!payload_mode) return 0;
  // Payload = the input without a header it may carry; wrap it in a valid one.
  const std::string payload = raw.compare(0, 7, "GENCKPT") == 0 && raw.size() >= 24 ? raw.substr(24) : raw;
  std::string framed("GENCKPT\0", 8);
  put_le(framed, uint64_t(gen::kCheckpointFormat), 4);
  put_le(framed, payload.size(), 8);
  put_le(framed, crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(payload.data()), uInt(payload.size())), 4);
  load(framed + payload);
  return 0;
}
