// One checkpoint file per save: a LibTorch archive that carries its own recipe (the resolved
// config, the data shape, a format version, the program version, the step, the RNG state) and
// the model's full state. Written atomically; `gen sample` needs nothing else.
//
// File layout (format 2): a 24-byte header -- magic "GENCKPT\0", u32 format, u64 payload
// length, u32 CRC-32 of the payload (little-endian) -- then the payload, a LibTorch zip
// archive. The header lets a truncated or corrupted file be named as such before LibTorch
// parses a byte of it. Format 1 files (a bare archive, no checksum, from before the first
// release) are refused with one line.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/data_spec.h"
#include "util/threads.h"

namespace gen {

constexpr int64_t kCheckpointFormat = 2;

struct Checkpoint {
  std::string path;
  Config config;
  DataSpec data;
  int64_t step = 0;
  double lr_scale = 1.0;  // product of the guard's lr factors applied by rollbacks so far
  ThreadCounts threads;   // CPU threads in effect when written (0: not recorded, before they were)
  int64_t format = 0;
  std::string program_version;
  torch::serialize::InputArchive archive;  // the rest: model state, RNG
};

// Fills the archive entry "model" with the model's state.
using ModelWriter = std::function<void(torch::serialize::OutputArchive&)>;

// Writes the file atomically, with the global RNG states; throws CheckpointError (the previous
// file at `path`, if any, is intact). models/model_checkpoint.h saves a GenerativeModel.
void write_checkpoint(const std::string& path, const Config& config, const DataSpec& data, int64_t step,
                      double lr_scale, const ModelWriter& write_model);

// Reads and checks the header, the checksum and the data description; throws CheckpointError
// naming the file and the problem.
Checkpoint open_checkpoint(const std::string& path, torch::Device device);

// Whether PATH (links followed) is a regular file that starts with a gen checkpoint's signature:
// an output must never replace one. Reads 8 bytes; false when it cannot be read.
bool is_checkpoint_file(const std::string& path);

// "" when the file's header and checksum are intact, else what open_checkpoint would say.
std::string checkpoint_damage(const std::string& path);

// Sets the global CPU (and CUDA) random generators to the states saved in the checkpoint.
void restore_rng(Checkpoint& checkpoint);

// The first non-blank line of a LibTorch message (TorchScript errors start with a newline).
std::string first_line(const std::string& message);

// Run-folder bookkeeping: checkpoints/step_NNNNNNN.pt, and latest.pt pointing at the newest.
std::string checkpoint_name(int64_t step);
// The step_NNNNNNN.pt files of DIR as (step, path), oldest first.
std::vector<std::pair<int64_t, std::string>> step_checkpoints(const std::string& dir);
// Newest complete checkpoint in DIR, or "" when there is none.
std::string latest_checkpoint(const std::string& dir);
// Deletes temp files of checkpoint writes that never finished (a killed run); returns how many.
int64_t remove_partial_checkpoints(const std::string& dir);
// Deletes all but the newest `keep` step_*.pt files of DIR, never `just_written`. (A run folder
// holds one history, RunFolder::open, so the newest by step are the newest of the run.)
void prune_checkpoints(const std::string& dir, int64_t keep, const std::string& just_written);

}  // namespace gen
