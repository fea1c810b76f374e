// File-system helpers with the guarantees gen promises: outputs appear whole or not at all.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace gen {

// Creates DIR and its parents. Throws IoError.
void make_dirs(const std::string& dir);

// Writes PATH atomically: a temp file in the same folder, written by `fill` through `write`,
// fsync'd, renamed over PATH, then the folder fsync'd. On any failure the temp file is removed,
// PATH is untouched and IoError says what failed.
using WriteFn = std::function<void(const void* data, size_t size)>;
void write_file_atomic(const std::string& path, const std::function<void(const WriteFn&)>& fill);
void write_file_atomic(const std::string& path, const std::string& contents);

// Points LINK (a symlink) at TARGET atomically (new link under a temp name, then rename).
void replace_symlink(const std::string& link, const std::string& target);

bool path_exists(const std::string& path);
std::string parent_dir(const std::string& path);

}  // namespace gen
