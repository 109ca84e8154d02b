// The agent's storage reconciliation on a real LocalStorage in a temp dir.
// Files are written now; the fake clock says "two days later" to make them
// old, or "now" to make them young.
#include "agent/storage_reconciler.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/storage/backup_layout.h"
#include "common/storage/local_storage.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

constexpr char kA[] = "20260301T000000Z-0000000a";  // catalogued, complete
constexpr char kB[] = "20260302T000000Z-0000000b";  // in storage only: adopt
constexpr char kC[] = "20260303T000000Z-0000000c";  // no manifest: leftover
constexpr char kD[] = "20260304T000000Z-0000000d";  // busy

class StorageReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-reconcile.XXXXXX";
    root_ = mkdtemp(tmpl);
    storage_ = *LocalStorage::Open(root_);
    req_.mutable_storage()->set_name("local");
    req_.mutable_storage()->set_prefix("b");
    req_.set_min_age_s(3600);
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& key, const std::string& data) {
    fs::create_directories(fs::path(root_ + "/" + key).parent_path());
    std::ofstream(root_ + "/" + key) << data;
  }
  bool Exists(const std::string& key) { return fs::exists(root_ + "/" + key); }
  // A complete backup: dump + manifest.
  void WriteBackup(const std::string& prefix, const std::string& db, const std::string& id) {
    v1::Manifest m;
    m.set_backup_id(id);
    m.set_database(db);
    m.set_dump_object("dump.sqlite.zst");
    m.set_finished_at("2026-03-01T00:00:00Z");
    m.set_stored_sha256(std::string(64, 'a'));
    Write(BackupDir(prefix, db, id) + "/dump.sqlite.zst", "dump");
    Write(ManifestKey(prefix, db, id), ManifestToJson(m));
  }
  void Catalogue(const std::string& db, const std::string& id, bool missing = false) {
    v1::CataloguedBackup* c = req_.add_catalogued();
    c->set_database(db);
    c->set_backup_id(id);
    c->add_objects("dump.sqlite.zst");
    c->add_objects("manifest.json");
    c->set_missing(missing);
  }
  v1::AgentReconcileStorageResponse Run(absl::Duration after = absl::Hours(48)) {
    FakeClock clock(absl::Now() + after);
    StorageReconciler r(&clock);
    auto resp = r.Reconcile(storage_.get(), req_);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.value_or(v1::AgentReconcileStorageResponse());
  }
  // "KIND key" of every action, to compare as a set.
  static std::multiset<std::string> Kinds(const v1::AgentReconcileStorageResponse& r) {
    std::multiset<std::string> out;
    for (const auto& a : r.actions()) {
      out.insert(absl::StrCat(v1::ReconcileActionKind_Name(a.kind()), " ", a.key()));
    }
    return out;
  }

  std::string root_;
  std::unique_ptr<LocalStorage> storage_;
  v1::AgentReconcileStorageRequest req_;
};

TEST_F(StorageReconcilerTest, EveryActionKindAndOnlyLeftoversRemoved) {
  WriteBackup("b", "orders", kA);
  Catalogue("orders", kA);
  WriteBackup("b", "orders", kB);
  Write(BackupDir("b", "orders", kC) + "/dump.sqlite.zst", "half");
  Write(BackupDir("b", "orders", kC) + "/dump.sqlite.zst.partial-123", "partial");
  // Catalogued but its dump is gone; catalogued missing whose objects are back.
  const std::string kE = "20260305T000000Z-0000000e", kF = "20260306T000000Z-0000000f";
  WriteBackup("b", "orders", kE);
  fs::remove(root_ + "/" + BackupDir("b", "orders", kE) + "/dump.sqlite.zst");
  Catalogue("orders", kE);
  WriteBackup("b", "orders", kF);
  Catalogue("orders", kF, /*missing=*/true);
  // Outside the layout, outside the prefix, a prefix lookalike.
  Write("b/README", "x");
  Write("b/orders/not-an-id/dump.sqlite.zst", "x");
  Write("b/..bad/" + std::string(kC) + "/dump", "x");
  Write("other/orders/" + std::string(kC) + "/dump.sqlite.zst", "x");
  Write("b2/orders/" + std::string(kC) + "/dump.sqlite.zst", "x");

  v1::AgentReconcileStorageResponse r = Run();
  const std::string c = BackupDir("b", "orders", kC);
  EXPECT_EQ(Kinds(r), (std::multiset<std::string>{
                          "RECONCILE_ACTION_ADOPT " + ManifestKey("b", "orders", kB),
                          "RECONCILE_ACTION_REMOVE_OBJECT " + c + "/dump.sqlite.zst",
                          "RECONCILE_ACTION_ABORT_UPLOAD " + c + "/dump.sqlite.zst",
                          "RECONCILE_ACTION_MARK_MISSING " + ManifestKey("b", "orders", kE),
                          "RECONCILE_ACTION_MARK_FOUND " + ManifestKey("b", "orders", kF),
                      }))
      << r.DebugString();
  for (const auto& a : r.actions()) {
    if (a.kind() == v1::RECONCILE_ACTION_ADOPT) {
      EXPECT_EQ(a.manifest().backup_id(), kB);
      EXPECT_FALSE(a.done());
    } else if (a.kind() == v1::RECONCILE_ACTION_MARK_MISSING) {
      EXPECT_NE(a.reason().find("dump.sqlite.zst"), std::string::npos) << a.reason();
    } else if (a.kind() == v1::RECONCILE_ACTION_REMOVE_OBJECT ||
               a.kind() == v1::RECONCILE_ACTION_ABORT_UPLOAD) {
      EXPECT_TRUE(a.done()) << a.error();
    }
  }
  EXPECT_EQ(r.manifests_seen(), 4u);  // A, B, E, F
  EXPECT_EQ(r.objects_ignored(), 3u);
  EXPECT_FALSE(Exists(c + "/dump.sqlite.zst"));
  EXPECT_FALSE(Exists(c + "/dump.sqlite.zst.partial-123"));
  // Nothing else was touched.
  for (const std::string& k :
       {ManifestKey("b", "orders", kA), ManifestKey("b", "orders", kB),
        BackupDir("b", "orders", kB) + "/dump.sqlite.zst", ManifestKey("b", "orders", kE),
        std::string("b/README"), std::string("b/orders/not-an-id/dump.sqlite.zst"),
        "b/..bad/" + std::string(kC) + "/dump", "other/orders/" + std::string(kC) + "/dump.sqlite.zst",
        "b2/orders/" + std::string(kC) + "/dump.sqlite.zst"}) {
    EXPECT_TRUE(Exists(k)) << k;
  }
}

TEST_F(StorageReconcilerTest, DryRunChangesNothing) {
  Write(BackupDir("b", "orders", kC) + "/dump.sqlite.zst", "half");
  Write(BackupDir("b", "orders", kC) + "/dump.sqlite.zst.partial-1", "partial");
  req_.set_dry_run(true);
  v1::AgentReconcileStorageResponse r = Run();
  ASSERT_EQ(r.actions_size(), 2);
  for (const auto& a : r.actions()) EXPECT_FALSE(a.done());
  EXPECT_TRUE(Exists(BackupDir("b", "orders", kC) + "/dump.sqlite.zst"));
  EXPECT_TRUE(Exists(BackupDir("b", "orders", kC) + "/dump.sqlite.zst.partial-1"));
}

TEST_F(StorageReconcilerTest, PrefixDoesNotMatchLongerNames) {
  Write("b2/orders/" + std::string(kC) + "/dump.sqlite.zst", "x");
  Write("b2/orders/" + std::string(kC) + "/dump.sqlite.zst.partial-9", "x");
  Write("bb/orders/" + std::string(kC) + "/dump.sqlite.zst", "x");
  v1::AgentReconcileStorageResponse r = Run();
  EXPECT_EQ(r.actions_size(), 0);
  EXPECT_EQ(r.objects_seen(), 0u);
  EXPECT_TRUE(Exists("b2/orders/" + std::string(kC) + "/dump.sqlite.zst"));
  EXPECT_TRUE(Exists("b2/orders/" + std::string(kC) + "/dump.sqlite.zst.partial-9"));
  EXPECT_TRUE(Exists("bb/orders/" + std::string(kC) + "/dump.sqlite.zst"));
}

TEST_F(StorageReconcilerTest, EmptyPrefixSeesTheWholeLayoutOnly) {
  req_.mutable_storage()->set_prefix("");
  Write("orders/" + std::string(kC) + "/dump.sqlite.zst", "x");
  Write("notes.txt", "x");
  v1::AgentReconcileStorageResponse r = Run();
  EXPECT_EQ(Kinds(r), (std::multiset<std::string>{"RECONCILE_ACTION_REMOVE_OBJECT orders/" +
                                                  std::string(kC) + "/dump.sqlite.zst"}));
  EXPECT_EQ(r.objects_ignored(), 1u);
  EXPECT_TRUE(Exists("notes.txt"));
}

TEST_F(StorageReconcilerTest, BusyBackupsAreKept) {
  Write(BackupDir("b", "orders", kD) + "/dump.sqlite.zst", "half");
  Write(BackupDir("b", "orders", kD) + "/dump.sqlite.zst.partial-1", "partial");
  WriteBackup("b", "orders", kB);
  req_.add_busy_backup_ids(kD);
  req_.add_busy_backup_ids(kB);
  v1::AgentReconcileStorageResponse r = Run();
  ASSERT_EQ(r.actions_size(), 2);
  for (const auto& a : r.actions()) {
    EXPECT_EQ(a.kind(), v1::RECONCILE_ACTION_KEEP);
    EXPECT_EQ(a.reason(), "a running job's backup");
  }
  EXPECT_TRUE(Exists(BackupDir("b", "orders", kD) + "/dump.sqlite.zst"));
  EXPECT_TRUE(Exists(BackupDir("b", "orders", kD) + "/dump.sqlite.zst.partial-1"));
}

TEST_F(StorageReconcilerTest, YoungLeftoversAreKept) {
  Write(BackupDir("b", "orders", kC) + "/dump.sqlite.zst", "half");
  Write(BackupDir("b", "orders", kC) + "/dump.sqlite.zst.partial-1", "partial");
  v1::AgentReconcileStorageResponse r = Run(absl::ZeroDuration());
  ASSERT_EQ(r.actions_size(), 2);
  for (const auto& a : r.actions()) {
    EXPECT_EQ(a.kind(), v1::RECONCILE_ACTION_KEEP);
    EXPECT_NE(a.reason().find("younger"), std::string::npos) << a.reason();
  }
  EXPECT_TRUE(Exists(BackupDir("b", "orders", kC) + "/dump.sqlite.zst"));
  EXPECT_TRUE(Exists(BackupDir("b", "orders", kC) + "/dump.sqlite.zst.partial-1"));
}

TEST_F(StorageReconcilerTest, UnreadableOrForeignManifestIsKept) {
  Write(BackupDir("b", "orders", kB) + "/dump.sqlite.zst", "dump");
  Write(ManifestKey("b", "orders", kB), "{ not json");
  // A manifest copied from another backup without rewriting its id.
  WriteBackup("b", "orders", kA);
  fs::create_directories(root_ + "/" + BackupDir("b", "orders", kC));
  fs::copy_file(root_ + "/" + ManifestKey("b", "orders", kA), root_ + "/" + ManifestKey("b", "orders", kC));
  Write(BackupDir("b", "orders", kC) + "/dump.sqlite.zst", "dump");
  Catalogue("orders", kA);
  v1::AgentReconcileStorageResponse r = Run();
  ASSERT_EQ(r.actions_size(), 2) << r.DebugString();
  for (const auto& a : r.actions()) EXPECT_EQ(a.kind(), v1::RECONCILE_ACTION_KEEP) << a.reason();
  EXPECT_TRUE(Exists(BackupDir("b", "orders", kB) + "/dump.sqlite.zst"));
  EXPECT_TRUE(Exists(ManifestKey("b", "orders", kB)));
  EXPECT_TRUE(Exists(BackupDir("b", "orders", kC) + "/dump.sqlite.zst"));
}

TEST(BackupIdShapeTest, OnlyGeneratedShapes) {
  EXPECT_TRUE(IsBackupIdShape("20260115T020000Z-0123abcd"));
  EXPECT_FALSE(IsBackupIdShape("20260115T020000Z-0123ABCD"));
  EXPECT_FALSE(IsBackupIdShape("20260115T020000Z-0123abc"));
  EXPECT_FALSE(IsBackupIdShape("latest"));
  EXPECT_FALSE(IsBackupIdShape("2026011xT020000Z-0123abcd"));
}

}  // namespace
}  // namespace dbdump
