// tools/pg-region.sh: the PostgreSQL it starts holds none of its caller's descriptors.
#include <gtest/gtest.h>

#include <poll.h>
#include <unistd.h>

#include "support/pg_server.h"

namespace fleetgate {
namespace {

TEST(PgRegionScript, TheServerHoldsNoneOfTheCallersDescriptors) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);  // inheritable (no O_CLOEXEC), as a test's sockets and pipes often are
  testing::PgServer pg;
  ASSERT_FALSE(pg.dsn().empty());
  close(fds[1]);
  // The script and pg_ctl have exited: only a server that kept the write end open keeps the read
  // end from seeing end of file.
  pollfd p{fds[0], POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 5000), 1) << "postgres holds the write end of the test's pipe";
  char c = 0;
  EXPECT_EQ(read(fds[0], &c, 1), 0);  // end of file, not a byte
  close(fds[0]);
}

}  // namespace
}  // namespace fleetgate
