#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "support/temp_dir.h"
#include "util/errors.h"
#include "util/folder_lock.h"

using gen::test::TempDir;

TEST_CASE("folder lock: a second writer is refused with the holder's PID, and the lock goes with its holder",
          "[util]") {
  TempDir dir;
  {
    gen::FolderLock first(dir.path());
    try {
      gen::FolderLock second(dir.path());
      FAIL("a second lock on the same folder was granted");
    } catch (const gen::UsageError& e) {
      CHECK_THAT(e.what(), Catch::StartsWith(dir.path() + " is being written by another gen (PID " +
                                             std::to_string(::getpid()) + ", started "));
    }
  }
  gen::FolderLock again(dir.path());  // released when the first one went out of scope
}

TEST_CASE("folder lock: a holder killed with SIGKILL leaves no stale lock", "[util]") {
  TempDir dir;
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    gen::FolderLock held(dir.path());
    const char c = 'x';
    (void)!::write(ready[1], &c, 1);
    ::pause();  // killed below, never unlocks
    ::_exit(0);
  }
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  try {
    gen::FolderLock refused(dir.path());
    FAIL("the lock was taken while the child held it");
  } catch (const gen::UsageError& e) {
    CHECK_THAT(e.what(), Catch::Contains("PID " + std::to_string(child) + ", started "));
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  gen::FolderLock after(dir.path());  // the kernel released the dead holder's lock
  ::close(ready[0]);
  ::close(ready[1]);
}
