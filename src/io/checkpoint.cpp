#include "io/checkpoint.h"

#include <zlib.h>

#include <algorithm>
#include <optional>

#include "core/tokenizer.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/input_file.h"

#ifndef GEN_VERSION
#define GEN_VERSION "unknown"
#endif

namespace gen {

namespace {

// Step parsed from "step_0000500.pt", or -1.
int64_t step_of(const std::string& name) {
  long long step = -1;
  char tail[4] = {0};
  if (std::sscanf(name.c_str(), "step_%lld.%3s", &step, tail) == 2 && std::string(tail) == "pt" &&
      name.size() == checkpoint_name(step).size()) {
    return step;
  }
  return -1;
}

constexpr char kMagic[8] = {'G', 'E', 'N', 'C', 'K', 'P', 'T', '\0'};
constexpr size_t kHeaderSize = 24;

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += char((v >> (8 * i)) & 0xff);
}
uint64_t get_le(const std::string& in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(uint8_t(in[at + size_t(i)])) << (8 * i);
  return v;
}
CheckpointError newer_format(const std::string& path, uint64_t format) {
  return CheckpointError(path + ": written in checkpoint format " + std::to_string(format) +
                         " by a newer gen; this gen reads up to format " + std::to_string(kCheckpointFormat) +
                         ": update gen to load it");
}

uint32_t crc32_of(const char* data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (size > 0) {  // zlib takes 32-bit lengths
    const auto chunk = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace

std::vector<std::pair<int64_t, std::string>> step_checkpoints(const std::string& dir) {
  std::vector<std::pair<int64_t, std::string>> found;
  for (const std::string& name : list_folder(dir)) {
    const int64_t step = step_of(name);
    if (step >= 0) found.emplace_back(step, dir + "/" + name);
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::string first_line(const std::string& message) {
  const size_t start = message.find_first_not_of(" \t\n");
  if (start == std::string::npos) return "";
  const size_t nl = message.find('\n', start);
  return message.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
}

std::string checkpoint_name(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step_%07lld.pt", static_cast<long long>(step));
  return buf;
}

void write_checkpoint(const std::string& path, const Config& config, const DataSpec& data, int64_t step,
                      double lr_scale, const ModelWriter& write_model) {
  torch::serialize::OutputArchive archive;
  archive.write("gen/format", c10::IValue(kCheckpointFormat));
  archive.write("gen/program_version", c10::IValue(std::string(GEN_VERSION)));
  archive.write("gen/config", c10::IValue(config_to_yaml(config, false)));
  archive.write("gen/data_spec", torch::tensor({data.shape.channels, data.shape.height, data.shape.width,
                                                data.shape.num_classes, data.text.vocab_size, data.text.block_size},
                                               torch::kInt64));
  archive.write("gen/tokenizer", c10::IValue(data.text.tokenizer));
  archive.write("gen/vocabulary", c10::IValue(data.text.vocabulary));
  archive.write("gen/step", c10::IValue(step));
  archive.write("gen/lr_scale", c10::IValue(lr_scale));
  // The thread counts change the last bits of CPU results: a resumed run takes the same ones.
  const ThreadCounts threads = current_threads();
  archive.write("gen/threads", torch::tensor({threads.intra, threads.blas}, torch::kInt64));
  archive.write("gen/rng_cpu", at::detail::getDefaultCPUGenerator().get_state());
  if (torch::cuda::is_available()) {  // dropout and randn on the GPU draw from these
    std::vector<torch::Tensor> states;
    for (int64_t i = 0; i < int64_t(torch::cuda::device_count()); ++i) {
      states.push_back(at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, c10::DeviceIndex(i))).get_state());
    }
    archive.write("gen/rng_cuda", torch::stack(states));
  }
  torch::serialize::OutputArchive model_archive;
  write_model(model_archive);
  archive.write("model", model_archive);
  std::string payload;
  archive.save_to([&](const void* buf, size_t n) {
    payload.append(static_cast<const char*>(buf), n);
    return n;
  });
  std::string header(kMagic, sizeof kMagic);
  put_le(header, uint64_t(kCheckpointFormat), 4);
  put_le(header, payload.size(), 8);
  put_le(header, crc32_of(payload.data(), payload.size()), 4);
  try {
    write_file_atomic(path, [&](const WriteFn& write) {
      write(header.data(), header.size());
      write(payload.data(), payload.size());
    });
  } catch (const IoError& e) {
    throw CheckpointError(std::string("checkpoint not saved (the previous one is intact): ") + e.what());
  }
}

namespace {

// The whole file once its header has been checked (signature, format, length, CRC); the
// payload starts at kHeaderSize. Only a regular file is opened, and nothing past the header is
// read before the file's size matches what the header says: /dev/zero or a huge foreign file
// given as --ckpt costs 24 bytes of reading.
std::string verified_file(const std::string& path) {
  if (!target_exists(path)) throw CheckpointError(path + ": cannot open checkpoint (no such file)");
  std::optional<InputFile> file;
  try {
    file.emplace(path);
  } catch (const IoError& e) {
    throw CheckpointError(std::string(e.what()) + " (a checkpoint is a file written by gen train)");
  }
  try {
    const uint64_t size = file->size();
    const std::string head = file->read(0, std::min<uint64_t>(size, kHeaderSize));
    if (head.size() < sizeof kMagic || !std::equal(kMagic, kMagic + sizeof kMagic, head.begin())) {
      if (head.compare(0, 2, "PK") == 0) {
        throw CheckpointError(path +
                              ": a bare archive without gen's checksummed header (checkpoint format 1, written "
                              "before gen 0.1.0 was released): no longer read");
      }
      throw CheckpointError(path + ": not a gen checkpoint (unknown file signature)");
    }
    if (head.size() < kHeaderSize) throw CheckpointError(path + ": truncated checkpoint header");
    const uint64_t format = get_le(head, 8, 4), want = get_le(head, 12, 8);
    if (format > uint64_t(kCheckpointFormat)) throw newer_format(path, format);
    const uint64_t length = size - kHeaderSize;
    if (length != want) {
      throw CheckpointError(path + ": truncated or padded: header says " + std::to_string(want) +
                            " payload bytes, file has " + std::to_string(length));
    }
    std::string data = file->read(0, size);  // whole, in one buffer (not const: returned by move)
    if (crc32_of(data.data() + kHeaderSize, length) != uint32_t(get_le(data, 20, 4))) {
      throw CheckpointError(path + ": corrupted: checksum mismatch (the file changed after it was written)");
    }
    return data;
  } catch (const IoError& e) {
    throw CheckpointError(e.what());
  }
}

// Bounds on what a data description may say: far beyond any real data, small enough that a
// model built from it cannot ask for an absurd allocation.
void check_data_spec(const std::string& path, const DataSpec& d) {
  auto in = [&](const char* what, int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi) {
      throw CheckpointError(path + ": malformed gen/data_spec: " + what + " " + std::to_string(v) + " is outside [" +
                            std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
  };
  if (d.is_text()) {
    const std::optional<TokenizerKind> kind = enum_from_name<TokenizerKind>(d.text.tokenizer);
    if (!kind) throw CheckpointError(path + ": malformed gen/tokenizer: '" + d.text.tokenizer.substr(0, 16) + "'");
    in("vocab_size", d.text.vocab_size, 1, 1 << 21);
    in("block_size", d.text.block_size, 1, 1 << 20);
    in("vocabulary bytes", int64_t(d.text.vocabulary.size()), *kind == TokenizerKind::kByte ? 0 : 1, 64 << 20);
    const int64_t symbols = Tokenizer::restore(d.text.tokenizer, d.text.vocabulary).vocab_size();
    if (symbols != d.text.vocab_size) {
      throw CheckpointError(path + ": malformed gen/data_spec: vocab_size " + std::to_string(d.text.vocab_size) +
                            " but the vocabulary has " + std::to_string(symbols) + " symbols");
    }
    return;
  }
  in("channels", d.shape.channels, 1, 64);
  in("height", d.shape.height, 1, 1 << 14);
  in("width", d.shape.width, 1, 1 << 14);
  in("classes", d.shape.num_classes, 0, 1 << 20);
}

}  // namespace

bool is_checkpoint_file(const std::string& path) {
  try {
    const InputFile file(path);
    if (file.size() < sizeof kMagic) return false;
    const std::string head = file.read(0, sizeof kMagic);
    return std::equal(kMagic, kMagic + sizeof kMagic, head.begin());
  } catch (const IoError&) {
    return false;
  }
}

std::string checkpoint_damage(const std::string& path) {
  try {
    verified_file(path);
    return "";
  } catch (const CheckpointError& e) {
    return e.what();
  }
}

Checkpoint open_checkpoint(const std::string& path, torch::Device device) {
  const std::string data = verified_file(path);
  const uint64_t length = data.size() - kHeaderSize;

  Checkpoint ckpt;
  ckpt.path = path;
  try {
    ckpt.archive.load_from(data.data() + kHeaderSize, length, device);
  } catch (const c10::Error& e) {
    throw CheckpointError(path + ": not a readable checkpoint (truncated or not a LibTorch archive: " +
                          first_line(e.what_without_backtrace()) + ")");
  } catch (const std::exception& e) {  // TorchScript's ErrorReport on a damaged archive is not a c10::Error
    throw CheckpointError(path + ": not a readable checkpoint (damaged archive: " + first_line(e.what()) + ")");
  }
  c10::IValue v;
  try {
    if (!ckpt.archive.try_read("gen/format", v)) {
      throw CheckpointError(path + ": a LibTorch archive, but not a gen checkpoint (no gen/format)");
    }
    ckpt.format = v.toInt();
    if (ckpt.format > kCheckpointFormat) throw newer_format(path, uint64_t(ckpt.format));
    ckpt.archive.read("gen/program_version", v);
    ckpt.program_version = v.toStringRef();
    ckpt.archive.read("gen/step", v);
    ckpt.step = v.toInt();
    if (ckpt.archive.try_read("gen/lr_scale", v)) ckpt.lr_scale = v.toDouble();  // absent before rollbacks existed
    torch::Tensor threads;
    if (ckpt.archive.try_read("gen/threads", threads)) {  // absent before load-aware threads
      if (threads.dim() != 1 || threads.numel() != 2 || threads.scalar_type() != torch::kInt64 ||
          threads.min().item<int64_t>() < 0 || threads[0].item<int64_t>() > 4096 || threads[1].item<int64_t>() > 4096) {
        throw CheckpointError(path + ": malformed gen/threads");
      }
      ckpt.threads = {threads[0].item<int64_t>(), threads[1].item<int64_t>()};
    }
    ckpt.archive.read("gen/config", v);
    ckpt.config = parse_config(v.toStringRef(), path + " (embedded config)");
    torch::Tensor spec;
    ckpt.archive.read("gen/data_spec", spec);
    if (spec.dim() != 1 || spec.numel() != 6 || spec.scalar_type() != torch::kInt64) {
      throw CheckpointError(path + ": malformed gen/data_spec");
    }
    spec = spec.to(torch::kCPU);
    const int64_t* d = spec.data_ptr<int64_t>();
    ckpt.data.shape.channels = d[0];
    ckpt.data.shape.height = d[1];
    ckpt.data.shape.width = d[2];
    ckpt.data.shape.num_classes = d[3];
    ckpt.data.text.vocab_size = d[4];
    ckpt.data.text.block_size = d[5];
    ckpt.archive.read("gen/tokenizer", v);
    ckpt.data.text.tokenizer = v.toStringRef();
    ckpt.archive.read("gen/vocabulary", v);
    ckpt.data.text.vocabulary = v.toStringRef();
    check_data_spec(path, ckpt.data);
  } catch (const Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw CheckpointError(path + ": damaged gen checkpoint header (" + first_line(e.what_without_backtrace()) + ")");
  } catch (const std::exception& e) {
    throw CheckpointError(path + ": damaged gen checkpoint header (" + first_line(e.what()) + ")");
  }
  return ckpt;
}

void restore_rng(Checkpoint& checkpoint) {
  try {
    torch::Tensor rng;
    checkpoint.archive.read("gen/rng_cpu", rng);
    at::Generator global = at::detail::getDefaultCPUGenerator();  // a handle to the shared state
    global.set_state(rng.to(torch::kCPU));
    torch::Tensor cuda;
    if (torch::cuda::is_available() && checkpoint.archive.try_read("gen/rng_cuda", cuda)) {
      const int64_t n = std::min<int64_t>(cuda.size(0), int64_t(torch::cuda::device_count()));
      for (int64_t i = 0; i < n; ++i) {
        at::Generator g = at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, c10::DeviceIndex(i)));
        g.set_state(cuda[i].to(torch::kCPU));
      }
    }
  } catch (const c10::Error& e) {
    throw CheckpointError(checkpoint.path + ": no usable random-generator state (" +
                          first_line(e.what_without_backtrace()) + ")");
  }
}

std::string latest_checkpoint(const std::string& dir) {
  const auto found = step_checkpoints(dir);
  return found.empty() ? "" : found.back().second;
}

int64_t remove_partial_checkpoints(const std::string& dir) {
  int64_t removed = 0;
  for (const std::string& name : list_folder(dir)) {
    if (name.rfind("step_", 0) == 0 && name.find(".pt.tmp.") != std::string::npos) {
      removed += std::remove((dir + "/" + name).c_str()) == 0 ? 1 : 0;
    }
  }
  return removed;
}

void prune_checkpoints(const std::string& dir, int64_t keep, const std::string& just_written) {
  auto found = step_checkpoints(dir);
  found.erase(std::remove_if(found.begin(), found.end(), [&](const auto& f) { return f.second == just_written; }),
              found.end());
  const int64_t excess = static_cast<int64_t>(found.size()) - (std::max<int64_t>(keep, 1) - 1);
  for (int64_t i = 0; i < excess; ++i) std::remove(found[size_t(i)].second.c_str());
}

}  // namespace gen
