// What the agent opens for a download, on a real local storage: only
// objects a committed backup's manifest lists, the manifest hashed, the TTL
// bounded.
#include "agent/backup_object_source.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/s3/sigv4_signer.h"
#include "common/storage/backup_layout.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

constexpr char kId[] = "20260301T000000Z-0000abcd";

class BackupObjectSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-object.XXXXXX";
    dir_ = mkdtemp(tmpl);
    fs::create_directories(dir_ + "/orders/" + kId);
    Write("orders/" + std::string(kId) + "/dump.sqlite.zst", "dump bytes");
    Write("orders/" + std::string(kId) + "/secret.key", "not part of the backup");
    v1::Manifest m;
    m.set_backup_id(kId);
    m.set_database("orders");
    m.set_dump_object("dump.sqlite.zst");
    m.set_stored_sha256(HexSha256("dump bytes"));
    manifest_json_ = ManifestToJson(m);
    Write("orders/" + std::string(kId) + "/manifest.json", manifest_json_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& key, const std::string& data) {
    std::ofstream(dir_ + "/" + key) << data;
  }
  v1::ReadBackupObjectRequest Request(const std::string& object) {
    v1::ReadBackupObjectRequest req;
    req.mutable_backup()->mutable_storage()->set_kind(v1::STORAGE_KIND_LOCAL);
    req.mutable_backup()->mutable_storage()->set_path(dir_);
    req.mutable_backup()->set_database("orders");
    req.mutable_backup()->set_backup_id(kId);
    req.set_object(object);
    req.set_presign_ttl_s(300);
    return req;
  }

  std::string dir_;
  std::string manifest_json_;
};

TEST_F(BackupObjectSourceTest, OpensTheDumpForReading) {
  absl::StatusOr<OpenedBackupObject> o = OpenBackupObject(Request("dump.sqlite.zst"));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->header.size_bytes(), 10u);
  EXPECT_TRUE(o->header.redirect_url().empty());
  EXPECT_TRUE(o->header.sha256().empty());
  ASSERT_NE(o->reader, nullptr);
  char buf[64];
  absl::StatusOr<size_t> n = o->reader->Read(buf, sizeof buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "dump bytes");
}

TEST_F(BackupObjectSourceTest, TheManifestIsHashedByTheAgent) {
  absl::StatusOr<OpenedBackupObject> o = OpenBackupObject(Request("manifest.json"));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->header.sha256(), HexSha256(manifest_json_));
  EXPECT_EQ(o->header.size_bytes(), manifest_json_.size());
  ASSERT_TRUE(o->bytes.has_value());
  EXPECT_EQ(*o->bytes, manifest_json_);
}

TEST_F(BackupObjectSourceTest, OnlyWhatTheManifestListsIsServed) {
  // A file in the backup's directory that the manifest does not name.
  EXPECT_TRUE(absl::IsNotFound(OpenBackupObject(Request("secret.key")).status()));
  for (const char* evil : {"../../etc/passwd", "/etc/passwd", "a/../../x", ""}) {
    absl::Status st = OpenBackupObject(Request(evil)).status();
    EXPECT_TRUE(absl::IsInvalidArgument(st) || absl::IsNotFound(st)) << evil << ": " << st;
  }
  v1::ReadBackupObjectRequest req = Request("dump.sqlite.zst");
  req.mutable_backup()->set_backup_id("20260301T000000Z-ffffffff");
  EXPECT_TRUE(absl::IsNotFound(OpenBackupObject(req).status()));
  req = Request("dump.sqlite.zst");
  req.mutable_backup()->set_database("../orders");
  EXPECT_TRUE(absl::IsInvalidArgument(OpenBackupObject(req).status()));
}

TEST_F(BackupObjectSourceTest, TheTtlIsBounded) {
  v1::ReadBackupObjectRequest req = Request("dump.sqlite.zst");
  req.set_presign_ttl_s(0);
  EXPECT_TRUE(absl::IsInvalidArgument(OpenBackupObject(req).status()));
  req.set_presign_ttl_s(3601);
  EXPECT_TRUE(absl::IsInvalidArgument(OpenBackupObject(req).status()));
  req.set_presign_ttl_s(3600);
  EXPECT_TRUE(OpenBackupObject(req).ok());
}

}  // namespace
}  // namespace dbdump
