#include "util/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "util/errors.h"
#include "util/temp_files.h"

namespace gen {

namespace {
std::string temp_name(const std::string& path) { return path + ".tmp." + std::to_string(::getpid()); }

void fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // best effort: some file systems refuse directory handles
  ::fsync(fd);
  ::close(fd);
}
}  // namespace

std::string parent_dir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_name(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string real_path(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) ? std::string(buf) : std::string();
}

bool same_path(const std::string& a, const std::string& b) {
  const std::string ra = real_path(a), rb = real_path(b);
  return ra.empty() || rb.empty() ? a == b : ra == rb;
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

void make_dirs(const std::string& dir) {
  if (dir.empty()) return;
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0777) != 0 && errno != EEXIST) {
      throw IoError(partial + ": cannot create folder: " + std::strerror(errno));
    }
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw IoError(dir + ": exists and is not a folder");
  }
}

namespace {
// Moves the finished temp file `tmp` onto `path` and makes the move durable; on failure the temp
// file is removed and IoError says "PATH: WHAT failed/...".
void commit_temp(const std::string& tmp, const std::string& path, const char* what) {
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw IoError(path + ": " + what + ": " + std::strerror(err));
  }
  fsync_dir(parent_dir(path));
}
}  // namespace

void write_file_atomic(const std::string& path, const std::function<void(const WriteFn&)>& fill) {
  write_file_atomic(path, [&](const WriteFn& write, const PatchFn&) { fill(write); });
}

void write_file_atomic(const std::string& path, const std::function<void(const WriteFn&, const PatchFn&)>& fill) {
  const std::string tmp = temp_name(path);
  const TempFileGuard registered(tmp);  // a signal that ends gen removes it (util/temp_files.h)
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(path + ": cannot write: " + std::strerror(errno));
  bool open = true;
  const auto discard = [&] {
    if (open) ::close(fd);
    open = false;
    ::unlink(tmp.c_str());
  };
  auto fail = [&](const std::string& what, int err) {
    discard();
    throw IoError(path + ": " + what + ": " + std::strerror(err));
  };
  const WriteFn write = [&](const void* data, size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      const ssize_t n = ::write(fd, p, size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("write failed", errno);
      p += n;
      size -= size_t(n);
    }
  };
  const PatchFn patch = [&](uint64_t offset, const void* data, size_t size) {
    if (::pwrite(fd, data, size, static_cast<off_t>(offset)) != static_cast<ssize_t>(size)) fail("write failed", errno);
  };
  try {
    fill(write, patch);
  } catch (...) {
    // Whatever stopped the fill (a failed write, or the caller's own error): no temp file stays.
    discard();
    throw;
  }
  if (::fsync(fd) != 0) fail("fsync failed", errno);
  open = false;
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw IoError(path + ": close failed: " + std::strerror(err));
  }
  commit_temp(tmp, path, "rename failed");
}

void write_file_atomic(const std::string& path, const std::string& contents) {
  write_file_atomic(path, [&](const WriteFn& write) { write(contents.data(), contents.size()); });
}

void replace_symlink(const std::string& link, const std::string& target) {
  const std::string tmp = temp_name(link);
  const TempFileGuard registered(tmp);
  ::unlink(tmp.c_str());
  if (::symlink(target.c_str(), tmp.c_str()) != 0) {
    throw IoError(link + ": cannot create link: " + std::strerror(errno));
  }
  commit_temp(tmp, link, "cannot replace link");
}

FreeSpace free_space(const std::string& path) {
  struct statvfs st {};
  FreeSpace room;
  if (::statvfs(path.c_str(), &st) != 0) return room;
  room.known = true;
  room.block_size = uint64_t(st.f_frsize);
  room.bytes = uint64_t(st.f_bavail) * uint64_t(st.f_frsize);
  room.inodes_counted = st.f_files > 0;
  room.inodes = uint64_t(st.f_favail);
  return room;
}

std::string executable_dir() {
  char buf[4096] = {0};
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? parent_dir(std::string(buf, size_t(n))) : "";
}

std::string get_data_command(const std::string& name) {
  std::string script = "scripts/get_data.sh";
  if (!target_exists(script)) {
    const std::string bin = executable_dir();
    if (!bin.empty() && target_exists(parent_dir(bin) + "/share/gen/get_data.sh")) {
      script = parent_dir(bin) + "/share/gen/get_data.sh";
    }
  }
  return script + (name.empty() ? " mnist|fashion-mnist|shakespeare" : " " + name);
}

bool target_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

namespace {
// nftw takes a plain function pointer; these carry its state (one walk at a time per thread).
thread_local bool remove_ok = true;
thread_local std::vector<std::string>* listed = nullptr;
thread_local std::vector<std::string>* unlisted = nullptr;  // folders that could not be read
thread_local size_t root_prefix = 0;                        // characters of "ROOT/" to strip from each listed path
thread_local bool list_failed = false;

int remove_entry(const char* path, const struct stat*, int type, struct FTW*) {
  const int rc = type == FTW_DP ? ::rmdir(path) : ::unlink(path);
  if (rc != 0 && errno != ENOENT) remove_ok = false;
  return 0;  // keep going: remove as much as possible
}

int list_entry(const char* path, const struct stat* st, int type, struct FTW*) {
  struct stat target {};
  const bool file = (type == FTW_F && S_ISREG(st->st_mode)) ||
                    (type == FTW_SL && ::stat(path, &target) == 0 && S_ISREG(target.st_mode));
  if (!file && type != FTW_DNR) return 0;
  try {  // an exception must not cross nftw's C frames: stop the walk instead
    (file ? listed : unlisted)->emplace_back(path);
    if (file) listed->back().erase(0, root_prefix);
  } catch (...) {
    list_failed = true;
    return 1;
  }
  return 0;
}
}  // namespace

bool remove_tree(const std::string& path) noexcept {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT;
  remove_ok = true;
  if (::nftw(path.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) return false;
  return remove_ok;
}

std::vector<std::string> list_folder(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> list_files_recursive(const std::string& root, std::vector<std::string>* unreadable) {
  std::string dir = root;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::vector<std::string> files, skipped;
  listed = &files;
  unlisted = &skipped;
  root_prefix = dir == "/" ? 1 : dir.size() + 1;
  list_failed = false;
  const int rc = ::nftw(dir.c_str(), list_entry, 16, FTW_PHYS);
  const int err = errno;
  listed = nullptr;
  unlisted = nullptr;
  if (list_failed) throw IoError(dir + ": out of memory while listing the folder");
  if (rc != 0) throw IoError(dir + ": cannot list folder: " + std::strerror(err));
  // Folder by folder, as path comparison orders them ("a/b" before "a-b").
  std::sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) {
    auto key = [](char c) { return c == '/' ? 0 : int(static_cast<unsigned char>(c)); };
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                        [&](char x, char y) { return key(x) < key(y); });
  });
  if (unreadable) *unreadable = std::move(skipped);
  return files;
}

}  // namespace gen
