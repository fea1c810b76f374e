#include "cli/export_folder.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "util/errors.h"
#include "util/fs.h"

namespace gen {

void check_new_folder(const std::string& dir, const std::string& format) {
  if (path_exists(dir) && (!is_directory(dir) || !list_folder(dir).empty())) {
    throw UsageError("--out " + dir + ": --format " + format + " writes a new folder; this one exists and is not empty");
  }
}

std::vector<std::string> write_new_folder(const std::string& dir, const FolderFiles& files) {
  const std::string tmp = (dir.empty() || dir.back() != '/' ? dir : dir.substr(0, dir.size() - 1)) + ".partial-" +
                          std::to_string(::getpid());
  std::vector<std::string> names;
  remove_tree(tmp);
  try {
    for (const auto& [name, contents] : files) {
      const size_t slash = name.rfind('/');
      make_dirs(slash == std::string::npos ? tmp : tmp + "/" + name.substr(0, slash));
      write_file_atomic(tmp + "/" + name, contents);
      names.push_back(name);
    }
    if (path_exists(dir)) ::rmdir(dir.c_str());  // empty (checked by the caller): rename takes its place
    if (std::rename(tmp.c_str(), dir.c_str()) != 0) {
      throw IoError(dir + ": cannot move the finished folder into place: " + std::strerror(errno));
    }
  } catch (...) {
    remove_tree(tmp);
    throw;
  }
  return names;
}

}  // namespace gen
