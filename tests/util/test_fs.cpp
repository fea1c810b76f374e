#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include "support/temp_dir.h"
#include "util/errors.h"
#include "util/fs.h"

using gen::test::TempDir;
using gen::test::write_text;

TEST_CASE("fs: remove_tree removes nested folders and files but not what a link points to", "[util]") {
  TempDir dir;
  const std::string keep = dir / "keep.txt";
  write_text(keep, "outside");
  const std::string tree = dir / "tree";
  gen::make_dirs(tree + "/a/b");
  write_text(tree + "/a/b/f.txt", "x");
  write_text(tree + "/top.txt", "y");
  REQUIRE(::symlink(keep.c_str(), (tree + "/a/link").c_str()) == 0);
  REQUIRE(::symlink(dir.path().c_str(), (tree + "/a/dirlink").c_str()) == 0);

  CHECK(gen::remove_tree(tree));
  CHECK_FALSE(gen::path_exists(tree));
  CHECK(gen::path_exists(keep));  // the links went, their targets stayed
  CHECK(gen::remove_tree(dir / "never_existed"));
}

TEST_CASE("fs: list_files_recursive lists regular files and links to files, relative to the root, in path order",
          "[util]") {
  TempDir dir;
  gen::make_dirs(dir / "r/a");
  gen::make_dirs(dir / "r/a-b");
  gen::make_dirs(dir / "r/empty");
  write_text(dir / "r/a/2.png", "");
  write_text(dir / "r/a-b/1.png", "");
  write_text(dir / "r/z.txt", "");
  write_text(dir / "outside.png", "");
  REQUIRE(::symlink((dir / "outside.png").c_str(), (dir / "r/link.png").c_str()) == 0);
  REQUIRE(::symlink((dir / "gone").c_str(), (dir / "r/dangling.png").c_str()) == 0);
  REQUIRE(::symlink(dir.path().c_str(), (dir / "r/loop").c_str()) == 0);  // a linked folder is not entered

  const std::string r = dir / "r";
  const std::vector<std::string> want{"a/2.png", "a-b/1.png", "link.png", "z.txt"};
  CHECK(gen::list_files_recursive(r) == want);
  CHECK(gen::list_files_recursive(r + "//") == want);  // trailing slashes do not double up
  CHECK_THROWS_AS(gen::list_files_recursive(dir / "missing"), gen::IoError);
}

TEST_CASE("fs: target_exists follows links, path_exists does not", "[util]") {
  TempDir dir;
  REQUIRE(::symlink((dir / "gone").c_str(), (dir / "dangling").c_str()) == 0);
  CHECK(gen::path_exists(dir / "dangling"));
  CHECK_FALSE(gen::target_exists(dir / "dangling"));
  write_text(dir / "gone", "");
  CHECK(gen::target_exists(dir / "dangling"));
  CHECK(gen::is_directory(dir.path()));
  CHECK_FALSE(gen::is_directory(dir / "gone"));
}
