// File-system helpers with the guarantees gen promises: outputs appear whole or not at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace gen {

// Creates DIR and its parents. Throws IoError.
void make_dirs(const std::string& dir);

// Writes PATH atomically: a temp file in the same folder, written by `fill` through `write`,
// fsync'd, renamed over PATH, then the folder fsync'd. On any failure the temp file is removed,
// PATH is untouched and IoError says what failed.
using WriteFn = std::function<void(const void* data, size_t size)>;
void write_file_atomic(const std::string& path, const std::function<void(const WriteFn&)>& fill);
void write_file_atomic(const std::string& path, const std::string& contents);
// As above; `patch(offset, data, size)` rewrites bytes written already (a header whose fields
// are known only at the end).
using PatchFn = std::function<void(uint64_t offset, const void* data, size_t size)>;
void write_file_atomic(const std::string& path, const std::function<void(const WriteFn&, const PatchFn&)>& fill);

// Points LINK (a symlink) at TARGET atomically (new link under a temp name, then rename).
void replace_symlink(const std::string& link, const std::string& target);

// These helpers stand in for std::filesystem, which gen does not use: the pip LibTorch that CUDA
// builds link exports its own copy of libstdc++'s std::filesystem, the dynamic linker binds gen's
// calls to it, and its remove_all jumps to a null address (seen with torch 2.11).
bool path_exists(const std::string& path);    // the name itself, a dangling link included
bool target_exists(const std::string& path);  // what it names, following links
bool is_directory(const std::string& path);
std::string parent_dir(const std::string& path);
std::string base_name(std::string path);  // the last part of PATH ("runs/a/" -> "a")
std::string real_path(const std::string& path);  // absolute, links and ".." resolved; "" if it is not there
// Whether A and B name one file or folder; names that do not resolve are compared as written.
bool same_path(const std::string& a, const std::string& b);

// Room left on the file system that holds PATH, for an unprivileged writer. `inodes_counted`
// is false on file systems without a fixed inode count (btrfs); `known` when statvfs worked.
struct FreeSpace {
  bool known = false;
  bool inodes_counted = false;
  uint64_t bytes = 0;
  uint64_t inodes = 0;
  uint64_t block_size = 0;
};
FreeSpace free_space(const std::string& path);

// The folder holding the running executable ("" when /proc is not there).
std::string executable_dir();

// The command that fetches data set NAME ("" for any): the checkout's scripts/get_data.sh, or
// the copy an installed gen has in <prefix>/share/gen/ (which writes under the current folder).
std::string get_data_command(const std::string& name);

// Removes PATH and everything under it without following symbolic links; returns false when
// something could not be removed. Never throws.
bool remove_tree(const std::string& path) noexcept;

// The names in DIR (not "." or ".."), sorted; empty when DIR cannot be read.
std::vector<std::string> list_folder(const std::string& dir);

// Regular files under ROOT (recursively; symbolic links to files count, linked folders are not
// entered), as paths relative to ROOT, sorted. Folders that cannot be read are skipped and,
// when `unreadable` is given, listed there (full paths). Throws IoError when ROOT itself
// cannot be listed.
std::vector<std::string> list_files_recursive(const std::string& root, std::vector<std::string>* unreadable = nullptr);

}  // namespace gen
