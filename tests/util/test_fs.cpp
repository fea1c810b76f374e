#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>

#include "support/temp_dir.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/temp_files.h"

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

TEST_CASE("fs: write_file_atomic leaves no temporary file when the fill throws, whatever it throws", "[util]") {
  gen::test::TempDir dir;
  const std::string path = dir / "out.bin";
  const auto fills_then_throws = [&](auto error) {
    gen::write_file_atomic(path, [&](const gen::WriteFn& write) {
      write("partial", 7);
      throw error;
    });
  };
  // The caller's own IoError (an input that failed mid-way) as well as any other error.
  CHECK_THROWS_AS(fills_then_throws(gen::IoError("input.txt: read failed")), gen::IoError);
  CHECK_THROWS_AS(fills_then_throws(std::runtime_error("stop")), std::runtime_error);
  CHECK(gen::list_files_recursive(dir.path()).empty());
}

TEST_CASE("fs: a temporary file being written is registered, and remove_temp_files_now removes it", "[util]") {
  gen::test::TempDir dir;
  const std::string path = dir / "out.bin";
  size_t during = 0, after_removal = 99;
  const auto write_and_stop = [&] {
    gen::write_file_atomic(path, [&](const gen::WriteFn& write) {
      write("partial", 7);
      during = gen::list_files_recursive(dir.path()).size();  // out.bin.tmp.PID
      gen::remove_temp_files_now();                           // what a fatal signal's handler does
      after_removal = gen::list_files_recursive(dir.path()).size();
      throw std::runtime_error("the process would have exited here");
    });
  };
  CHECK_THROWS_AS(write_and_stop(), std::runtime_error);
  CHECK(during == 1);
  CHECK(after_removal == 0);
}
