#include "cli/output_paths.h"

#include <sys/stat.h>

#include "io/checkpoint.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/input_file.h"

namespace gen {

namespace {

// The absolute path a not-yet-existing output will have (its folder resolved), or, for an
// existing file, the file's own resolved path: two names of one file compare equal.
std::string identity(const std::string& path) {
  if (target_exists(path)) return real_path(path);
  const std::string folder = real_path(parent_dir(path));
  return folder.empty() ? "" : folder + "/" + base_name(path);
}

// A folder named checkpoints that holds gen checkpoints: gen train's, and only gen train's.
bool in_run_checkpoints(const std::string& resolved) {
  const std::string folder = parent_dir(resolved);
  if (base_name(folder) != "checkpoints") return false;
  return !step_checkpoints(folder).empty() || path_exists(folder + "/latest.pt") || path_exists(folder + "/best.pt");
}

}  // namespace

void check_outputs(const std::vector<OutputFile>& outputs, const std::vector<std::string>& inputs) {
  std::vector<std::pair<std::string, const OutputFile*>> seen;
  for (const OutputFile& out : outputs) {
    const std::string named = out.flag + " " + out.path;
    if (out.path.empty()) throw UsageError(out.flag + ": empty; name the file to write");
    if (out.path.back() == '/' || is_directory(out.path)) {
      throw UsageError(named + ": a folder; name the file to write inside it");
    }
    const std::string folder = parent_dir(out.path);
    if (!is_directory(folder)) throw UsageError(named + ": the folder " + folder + " does not exist");
    struct stat st {};
    if (::lstat(out.path.c_str(), &st) == 0) {
      if (S_ISLNK(st.st_mode)) {
        throw UsageError(named +
                         ": a symbolic link; gen does not replace links (a run's latest.pt is one): name "
                         "another file");
      }
      if (!S_ISREG(st.st_mode)) {
        throw UsageError(named + ": " + file_kind(st.st_mode) + "; gen writes only regular files: name another file");
      }
      if (is_checkpoint_file(out.path)) {
        throw UsageError(named + ": a gen checkpoint; gen never writes over one: name another file");
      }
    }
    const std::string id = identity(out.path);
    if (in_run_checkpoints(id)) {
      throw UsageError(named +
                       ": inside a run's checkpoints/ folder, which only gen train writes: name a file "
                       "elsewhere");
    }
    for (const std::string& input : inputs) {
      if (!input.empty() && target_exists(input) && real_path(input) == id) {
        throw UsageError(named + ": the same file as the input " + input + "; name another file");
      }
    }
    for (const auto& [other_id, other] : seen) {
      if (other_id == id) {
        throw UsageError(named + ": the same file as " + other->flag + " " + other->path + "; name two files");
      }
    }
    seen.emplace_back(id, &out);
  }
}

}  // namespace gen
