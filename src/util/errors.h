// Typed errors thrown by the library. apps/gen turns each into one line on stderr and a
// distinct exit code, so scripts can tell a bad config from a bad data file.
#pragma once

#include <stdexcept>
#include <string>

namespace gen {

enum class ExitCode : int {
  kOk = 0,
  kFailure = 1,  // anything unexpected
  kUsage = 2,    // command line (CLI11 uses 2 as well)
  kConfig = 3,
  kData = 4,
  kCheckpoint = 5,
  kIo = 6,
  kTraining = 7,       // training diverged beyond what the guard may repair
  kSideOutput = 8,     // training finished with its checkpoints, but a sample grid or an evaluation failed
  kInterrupted = 130,  // SIGINT (128 + 2, the shell's convention); a checkpoint was written
  kTerminated = 143,   // SIGTERM (128 + 15), as torchrun and batch schedulers send it
};

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  virtual ExitCode exit_code() const { return ExitCode::kFailure; }
};

#define GEN_DEFINE_ERROR(Name, code)                               \
  class Name : public Error {                                      \
   public:                                                         \
    using Error::Error;                                            \
    ExitCode exit_code() const override { return ExitCode::code; } \
  };

GEN_DEFINE_ERROR(UsageError, kUsage)
GEN_DEFINE_ERROR(ConfigError, kConfig)
GEN_DEFINE_ERROR(DataError, kData)
GEN_DEFINE_ERROR(CheckpointError, kCheckpoint)
GEN_DEFINE_ERROR(IoError, kIo)
GEN_DEFINE_ERROR(TrainingError, kTraining)
#undef GEN_DEFINE_ERROR

// A run stopped by a signal before it could write anything; exit 130 or 143 like a trained one.
class InterruptedError : public Error {
 public:
  InterruptedError(const std::string& what, ExitCode code) : Error(what), code_(code) {}
  ExitCode exit_code() const override { return code_; }

 private:
  ExitCode code_;
};

}  // namespace gen
