#include "models/model_checkpoint.h"

#include "models/generative_model.h"
#include "util/errors.h"

namespace gen {

void save_checkpoint(const std::string& path, const Config& config, const DataSpec& data, int64_t step,
                     GenerativeModel& model, double lr_scale) {
  write_checkpoint(path, config, data, step, lr_scale,
                   [&](torch::serialize::OutputArchive& archive) { model.save(archive); });
}

void load_model_state(Checkpoint& checkpoint, GenerativeModel& model) {
  try {
    torch::serialize::InputArchive model_archive;
    checkpoint.archive.read("model", model_archive);
    model.load(model_archive);
  } catch (const Error& e) {
    throw CheckpointError(checkpoint.path + ": cannot load into model.kind " + checkpoint.config.model.kind +
                          " as configured: " + e.what());
  } catch (const c10::Error& e) {
    throw CheckpointError(checkpoint.path + ": model state does not fit model.kind " + checkpoint.config.model.kind +
                          " as configured (" + first_line(e.what_without_backtrace()) + ")");
  } catch (const std::exception& e) {
    throw CheckpointError(checkpoint.path + ": damaged model state (" + first_line(e.what()) + ")");
  }
}

void restore_checkpoint(Checkpoint& checkpoint, GenerativeModel& model) {
  load_model_state(checkpoint, model);
  restore_rng(checkpoint);
}

}  // namespace gen
