// What must hold before a run continues from a checkpoint: config keys that alter the model or
// the data unchanged (unless --force), and the data the weights were trained on unchanged
// (always: no flag makes embedding rows mean other symbols). Parameter shapes are checked as
// the weights load (optim/net_optimizer.h, load_trained).
#pragma once

#include <string>

#include "config/config.h"
#include "core/data_spec.h"

namespace gen {

// Logs every changed key; throws ConfigError naming the refused ones unless `force`.
void check_resume_config(const Config& saved, const Config& now, const std::string& path, bool force);

// Throws DataError naming what differs: text or images, tokenizer, vocabulary, channels, size, classes.
void check_resume_data(const DataSpec& saved, const DataSpec& now, const std::string& path);

}  // namespace gen
