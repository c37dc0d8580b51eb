#include "fleetgate/store/embedded_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <vector>

#include "fleetgate/store/test_dir.h"

namespace fleetgate::store {
namespace {

std::unique_ptr<KvStore> open_ok(const std::filesystem::path& dir) {
  auto s = open_embedded(dir);
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  return s.is_ok() ? std::move(s).value() : nullptr;
}

std::vector<std::string> keys_of(const KvReader& r, std::string_view prefix, std::string_view start = {}) {
  std::vector<std::string> keys;
  auto it = r.scan(prefix, start);
  for (; it->valid(); it->next()) keys.emplace_back(it->key());
  EXPECT_TRUE(it->status().is_ok()) << it->status().to_string();
  return keys;
}

TEST(EmbeddedStore, PutGetRemove) {
  TestDir tmp;
  auto db = open_ok(tmp / "db");
  ASSERT_TRUE(db->put("a", "1").is_ok());
  EXPECT_EQ(db->get("a").value(), "1");
  ASSERT_TRUE(db->remove("a").is_ok());
  EXPECT_EQ(db->get("a").status().code(), Code::kNotFound);
  EXPECT_EQ(db->get("never").status().code(), Code::kNotFound);
}

TEST(EmbeddedStore, GetManyAnswersEachKeyInOrder) {
  TestDir tmp;
  auto db = open_ok(tmp / "db");
  ASSERT_TRUE(db->put("a", "1").is_ok());
  ASSERT_TRUE(db->put("c", "3").is_ok());
  auto values = db->get_many({"c", "b", "a", "c"});
  ASSERT_TRUE(values.is_ok()) << values.status().to_string();
  EXPECT_EQ(*values, (std::vector<std::optional<std::string>>{"3", std::nullopt, "1", "3"}));
}

TEST(EmbeddedStore, BinaryKeysAndValuesRoundTrip) {
  TestDir tmp;
  auto db = open_ok(tmp / "db");
  const std::string key("k\0\xff", 3);
  const std::string value("\0\x01\x02", 3);
  ASSERT_TRUE(db->put(key, value).is_ok());
  EXPECT_EQ(db->get(key).value(), value);
}

TEST(EmbeddedStore, BatchAppliesInOrder) {
  TestDir tmp;
  auto db = open_ok(tmp / "db");
  ASSERT_TRUE(db->put("gone", "x").is_ok());
  WriteBatch b;
  b.put("a", "1").put("b", "2").remove("gone").put("a", "3");
  ASSERT_TRUE(db->write(b).is_ok());
  EXPECT_EQ(db->get("a").value(), "3");
  EXPECT_EQ(db->get("b").value(), "2");
  EXPECT_EQ(db->get("gone").status().code(), Code::kNotFound);
  EXPECT_TRUE(db->write(WriteBatch()).is_ok());
}

TEST(EmbeddedStore, ScanStaysInsidePrefixFromStart) {
  TestDir tmp;
  auto db = open_ok(tmp / "db");
  for (const char* k : {"p/a", "p/b", "p/c", "p0", "o", "q/a"}) ASSERT_TRUE(db->put(k, k).is_ok());
  EXPECT_EQ(keys_of(*db, "p/"), (std::vector<std::string>{"p/a", "p/b", "p/c"}));
  EXPECT_EQ(keys_of(*db, "p/", "p/b"), (std::vector<std::string>{"p/b", "p/c"}));
  EXPECT_EQ(keys_of(*db, "p/", "a"), (std::vector<std::string>{"p/a", "p/b", "p/c"}));
  EXPECT_TRUE(keys_of(*db, "p/", "p/d").empty());
  EXPECT_TRUE(keys_of(*db, "zz").empty());
  EXPECT_EQ(keys_of(*db, "").size(), 6u);
}

TEST(EmbeddedStore, ScanOfPrefixEndingInFF) {
  TestDir tmp;
  auto db = open_ok(tmp / "db");
  const std::string p("a\xff", 2);
  ASSERT_TRUE(db->put(p + "1", "x").is_ok());
  ASSERT_TRUE(db->put("b", "y").is_ok());
  EXPECT_EQ(keys_of(*db, p), (std::vector<std::string>{p + "1"}));
}

TEST(EmbeddedStore, SnapshotIgnoresLaterWrites) {
  TestDir tmp;
  auto db = open_ok(tmp / "db");
  ASSERT_TRUE(db->put("k/1", "old").is_ok());
  auto snap = db->snapshot();
  ASSERT_TRUE(db->put("k/1", "new").is_ok());
  ASSERT_TRUE(db->put("k/2", "new").is_ok());
  EXPECT_EQ(snap->get("k/1").value(), "old");
  EXPECT_EQ(snap->get("k/2").status().code(), Code::kNotFound);
  EXPECT_EQ(keys_of(*snap, "k/"), (std::vector<std::string>{"k/1"}));
  EXPECT_EQ(keys_of(*db, "k/").size(), 2u);
}

TEST(EmbeddedStore, DataSurvivesReopen) {
  TestDir tmp;
  {
    auto db = open_ok(tmp / "db");
    ASSERT_TRUE(db->put("durable", "yes").is_ok());
    ASSERT_TRUE(db->put("fast", "maybe", WriteOptions{.sync = false}).is_ok());
  }
  auto db = open_ok(tmp / "db");
  EXPECT_EQ(db->get("durable").value(), "yes");
  EXPECT_EQ(db->get("fast").value(), "maybe");  // clean close flushes unsynced writes too
}

// A clean close leaves nothing to replay: the memtables are flushed, so the write-ahead log is
// empty and the next open does not re-insert what the last process wrote (which took seconds
// after a month of usage records: README "Ledger").
TEST(EmbeddedStore, CleanCloseLeavesNoLogToReplay) {
  TestDir tmp;
  {
    auto db = open_ok(tmp / "db");
    const std::string value(1000, 'v');
    for (int i = 0; i < 2000; ++i) ASSERT_TRUE(db->put("key/" + std::to_string(i), value).is_ok());
  }
  uintmax_t log_bytes = 0;  // write-ahead logs are NNNNNN.log (the info log is LOG)
  for (const auto& entry : std::filesystem::directory_iterator(tmp / "db")) {
    if (entry.path().extension() == ".log") log_bytes += entry.file_size();
  }
  EXPECT_EQ(log_bytes, 0u) << "the write-ahead log still holds records to replay";
  auto db = open_ok(tmp / "db");
  EXPECT_EQ(keys_of(*db, "key/").size(), 2000u);
}

TEST(EmbeddedStore, SecondOpenInSameProcessIsUnavailable) {
  TestDir tmp;
  auto first = open_ok(tmp / "db");
  auto second = open_embedded(tmp / "db");
  ASSERT_FALSE(second.is_ok());
  EXPECT_EQ(second.status().code(), Code::kUnavailable);
  EXPECT_NE(second.status().message().find("is in use by another fleetgate process"), std::string::npos)
      << second.status().message();
}

TEST(EmbeddedStore, LockHeldByAnotherProcessIsUnavailable) {
  TestDir tmp;
  { auto db = open_ok(tmp / "db"); }
  int ready[2];
  int release[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(release), 0);
  const std::string lock = (tmp / "db" / "LOCK").string();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Only async-signal-safe calls here: take the same fcntl lock RocksDB takes, then wait
    // for the parent to close its end of `release`.
    close(release[1]);
    close(ready[0]);
    int fd = open(lock.c_str(), O_RDWR);
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    char ok = (fd >= 0 && fcntl(fd, F_SETLK, &fl) == 0) ? '1' : '0';
    if (write(ready[1], &ok, 1) != 1) _exit(2);
    char c;
    while (read(release[0], &c, 1) > 0) {
    }
    _exit(0);
  }
  close(ready[1]);
  close(release[0]);
  char ok = '0';
  ASSERT_EQ(read(ready[0], &ok, 1), 1);
  ASSERT_EQ(ok, '1');
  auto held = open_embedded(tmp / "db");
  close(release[1]);
  int wstatus = 0;
  waitpid(child, &wstatus, 0);
  close(ready[0]);
  ASSERT_FALSE(held.is_ok());
  EXPECT_EQ(held.status().code(), Code::kUnavailable);
  EXPECT_NE(held.status().message().find("data dir " + (tmp / "db").string() + " is in use by another fleetgate process"),
            std::string::npos)
      << held.status().message();
  EXPECT_TRUE(open_embedded(tmp / "db").is_ok());  // the lock died with the child
}

TEST(EmbeddedStore, CorruptDatabaseIsDataLoss) {
  TestDir tmp;
  { auto db = open_ok(tmp / "db"); }
  bool damaged = false;
  for (const auto& entry : std::filesystem::directory_iterator(tmp / "db")) {
    if (entry.path().filename().string().rfind("MANIFEST-", 0) == 0) {
      std::ofstream(entry.path(), std::ios::binary | std::ios::trunc) << "not a manifest, not even close";
      damaged = true;
    }
  }
  ASSERT_TRUE(damaged);
  auto db = open_embedded(tmp / "db");
  ASSERT_FALSE(db.is_ok());
  EXPECT_EQ(db.status().code(), Code::kDataLoss) << db.status().to_string();
}

TEST(EmbeddedStore, OpenWithoutCreateOnMissingDirFails) {
  TestDir tmp;
  auto db = open_embedded(tmp / "absent", EmbeddedOptions{.create_if_missing = false});
  EXPECT_FALSE(db.is_ok());
}

}  // namespace
}  // namespace fleetgate::store
