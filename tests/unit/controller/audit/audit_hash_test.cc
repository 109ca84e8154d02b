// AuditEntryHash: covers every field, unambiguously.
#include "controller/audit/audit_hash.h"

#include "gtest/gtest.h"

namespace dbdump {
namespace {

AuditEntry Entry() {
  AuditEntry e;
  e.seq = 12;
  e.at = absl::FromUnixMicros(1767225600123456);
  e.actor = "token:ci";
  e.peer = "ipv4:10.0.0.5:51234";
  e.rpc = "dbdump.v1.DatabaseService/CreateDatabase";
  e.target = "orders";
  e.outcome = "ok";
  e.detail = "";
  e.prev_hash = "sha256:00";
  return e;
}

TEST(AuditHashTest, IsSha256HexAndIgnoresTheStoredHash) {
  AuditEntry e = Entry();
  std::string h = AuditEntryHash(e);
  ASSERT_EQ(h.size(), 7u + 64u);
  EXPECT_EQ(h.substr(0, 7), "sha256:");
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef", 7), std::string::npos);
  e.hash = "anything";
  EXPECT_EQ(AuditEntryHash(e), h);
}

TEST(AuditHashTest, EveryFieldCounts) {
  const std::string base = AuditEntryHash(Entry());
  std::vector<void (*)(AuditEntry*)> changes = {
      [](AuditEntry* e) { e->seq = 13; },
      [](AuditEntry* e) { e->at += absl::Microseconds(1); },
      [](AuditEntry* e) { e->actor = "token:cd"; },
      [](AuditEntry* e) { e->peer = "ipv4:10.0.0.6:51234"; },
      [](AuditEntry* e) { e->rpc = "x"; },
      [](AuditEntry* e) { e->target = "orders2"; },
      [](AuditEntry* e) { e->outcome = "denied"; },
      [](AuditEntry* e) { e->detail = "d"; },
      [](AuditEntry* e) { e->prev_hash = "sha256:01"; },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    AuditEntry e = Entry();
    changes[i](&e);
    EXPECT_NE(AuditEntryHash(e), base) << "change " << i;
  }
}

TEST(AuditHashTest, FieldBoundariesAreNotAmbiguous) {
  AuditEntry a = Entry();
  AuditEntry b = Entry();
  a.actor = "ab";
  a.peer = "c";
  b.actor = "a";
  b.peer = "bc";
  EXPECT_NE(AuditEntryHash(a), AuditEntryHash(b));
}

TEST(AuditHashTest, TimesKeepMicroseconds) {
  absl::Time t = absl::FromUnixMicros(1767225600123456) + absl::Nanoseconds(999);
  EXPECT_EQ(AuditTimeToString(t), "2026-01-01T00:00:00.123456Z");
  EXPECT_EQ(AuditTimeFromString("2026-01-01T00:00:00.123456Z"), AuditTimeTruncate(t));
  EXPECT_EQ(AuditTimeFromString("garbage"), absl::InfinitePast());
}

}  // namespace
}  // namespace dbdump
