// The folder exports (diffusers, transformers): written whole or not at all. The files go to a
// sibling folder first, which is renamed to the asked name at the end; a failure removes it.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace gen {

// (path relative to the folder, contents); "unet/config.json" makes unet/.
using FolderFiles = std::vector<std::pair<std::string, std::string>>;

// `dir` must not exist, or be an empty folder (UsageError naming --out and `format` otherwise).
void check_new_folder(const std::string& dir, const std::string& format);
// Writes `files` into `dir` as one step (check_new_folder first). Returns their names.
std::vector<std::string> write_new_folder(const std::string& dir, const FolderFiles& files);

}  // namespace gen
