#include "train/checkpoint.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "models/generative_model.h"
#include "util/errors.h"
#include "util/fs.h"

#ifndef GEN_VERSION
#define GEN_VERSION "unknown"
#endif

namespace gen {

namespace {

std::string first_line(const std::string& s) {
  const size_t nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

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

std::vector<std::pair<int64_t, std::string>> list_checkpoints(const std::string& dir) {
  std::vector<std::pair<int64_t, std::string>> found;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return found;
  while (const dirent* e = ::readdir(d)) {
    const int64_t step = step_of(e->d_name);
    if (step >= 0) found.emplace_back(step, dir + "/" + e->d_name);
  }
  ::closedir(d);
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

std::string checkpoint_name(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step_%07lld.pt", static_cast<long long>(step));
  return buf;
}

void save_checkpoint(const std::string& path, const Config& config, const DataSpec& data,
                     int64_t step, GenerativeModel& model) {
  torch::serialize::OutputArchive archive;
  archive.write("gen/format", c10::IValue(kCheckpointFormat));
  archive.write("gen/program_version", c10::IValue(std::string(GEN_VERSION)));
  archive.write("gen/config", c10::IValue(config_to_yaml(config, false)));
  archive.write("gen/data_spec", torch::tensor({data.channels, data.height, data.width, data.num_classes,
                                               data.vocab_size, data.block_size}, torch::kInt64));
  archive.write("gen/tokenizer", c10::IValue(data.tokenizer));
  archive.write("gen/vocabulary", c10::IValue(data.vocabulary));
  archive.write("gen/step", c10::IValue(step));
  archive.write("gen/rng_cpu", at::detail::getDefaultCPUGenerator().get_state());
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  try {
    write_file_atomic(path, [&](const WriteFn& write) {
      archive.save_to([&](const void* buf, size_t n) {
        write(buf, n);
        return n;
      });
    });
  } catch (const IoError& e) {
    throw CheckpointError(std::string("checkpoint not saved (the previous one is intact): ") + e.what());
  }
}

Checkpoint open_checkpoint(const std::string& path, torch::Device device) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError(path + ": cannot open checkpoint (missing or unreadable)");
  std::stringstream bytes;
  bytes << in.rdbuf();
  const std::string data = bytes.str();

  Checkpoint ckpt;
  ckpt.path = path;
  try {
    ckpt.archive.load_from(data.data(), data.size(), device);
  } catch (const c10::Error& e) {
    throw CheckpointError(path + ": not a readable checkpoint (truncated or not a LibTorch archive: " +
                          first_line(e.what_without_backtrace()) + ")");
  }
  c10::IValue v;
  try {
    if (!ckpt.archive.try_read("gen/format", v)) {
      throw CheckpointError(path + ": a LibTorch archive, but not a gen checkpoint (no gen/format)");
    }
    ckpt.format = v.toInt();
    if (ckpt.format > kCheckpointFormat) {
      throw CheckpointError(path + ": written in checkpoint format " + std::to_string(ckpt.format) +
                            " by a newer gen; this gen reads up to format " +
                            std::to_string(kCheckpointFormat) + ": update gen to load it");
    }
    ckpt.archive.read("gen/program_version", v);
    ckpt.program_version = v.toStringRef();
    ckpt.archive.read("gen/step", v);
    ckpt.step = v.toInt();
    ckpt.archive.read("gen/config", v);
    ckpt.config = parse_config(v.toStringRef(), path + " (embedded config)");
    torch::Tensor spec;
    ckpt.archive.read("gen/data_spec", spec);
    if (spec.dim() != 1 || spec.numel() != 6 || spec.scalar_type() != torch::kInt64) {
      throw CheckpointError(path + ": malformed gen/data_spec");
    }
    spec = spec.to(torch::kCPU);
    const int64_t* d = spec.data_ptr<int64_t>();
    ckpt.data.channels = d[0];
    ckpt.data.height = d[1];
    ckpt.data.width = d[2];
    ckpt.data.num_classes = d[3];
    ckpt.data.vocab_size = d[4];
    ckpt.data.block_size = d[5];
    ckpt.archive.read("gen/tokenizer", v);
    ckpt.data.tokenizer = v.toStringRef();
    ckpt.archive.read("gen/vocabulary", v);
    ckpt.data.vocabulary = v.toStringRef();
  } catch (const c10::Error& e) {
    throw CheckpointError(path + ": damaged gen checkpoint header (" +
                          first_line(e.what_without_backtrace()) + ")");
  }
  return ckpt;
}

void restore_checkpoint(Checkpoint& checkpoint, GenerativeModel& model) {
  try {
    torch::serialize::InputArchive model_archive;
    checkpoint.archive.read("model", model_archive);
    model.load(model_archive);
    torch::Tensor rng;
    checkpoint.archive.read("gen/rng_cpu", rng);
    at::Generator global = at::detail::getDefaultCPUGenerator();  // a handle to the shared state
    global.set_state(rng.to(torch::kCPU));
  } catch (const c10::Error& e) {
    throw CheckpointError(checkpoint.path + ": model state does not fit model.kind " +
                          checkpoint.config.model.kind + " as configured (" +
                          first_line(e.what_without_backtrace()) + ")");
  }
}

std::string latest_checkpoint(const std::string& dir) {
  const auto found = list_checkpoints(dir);
  return found.empty() ? "" : found.back().second;
}

void prune_checkpoints(const std::string& dir, int64_t keep) {
  const auto found = list_checkpoints(dir);
  const int64_t excess = static_cast<int64_t>(found.size()) - std::max<int64_t>(keep, 1);
  for (int64_t i = 0; i < excess; ++i) std::remove(found[size_t(i)].second.c_str());
}

}  // namespace gen
