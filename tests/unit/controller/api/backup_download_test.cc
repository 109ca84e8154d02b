// DownloadBackup's controller side: which backups and objects it serves,
// what it asks of the agent, and how it relays (or refuses) the agent's
// answer. The agent is a FakeAgentClient scripted per object.
#include "controller/api/backup_download.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_agent_client.h"
#include "tests/fixtures/test_catalogue.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

constexpr char kId[] = "20260301T000000Z-0000abcd";
constexpr char kSha[] = "5f3c0ffee5f3c0ffee5f3c0ffee5f3c0ffee5f3c0ffee5f3c0ffee5f3c0ffee12";

v1::ReadBackupObjectResponse Header(uint64_t size, const std::string& url = "") {
  v1::ReadBackupObjectResponse m;
  m.mutable_header()->set_size_bytes(size);
  m.mutable_header()->set_redirect_url(url);
  if (!url.empty()) m.mutable_header()->set_expires_at("2026-03-01T00:05:00Z");
  return m;
}

v1::ReadBackupObjectResponse Data(const std::string& bytes) {
  v1::ReadBackupObjectResponse m;
  m.set_data(bytes);
  return m;
}

class BackupDownloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-download.XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = *Store::Open(dir_ + "/c.db");
    absl::Time now = TimeFromString("2026-03-01T00:00:00Z");
    ASSERT_TRUE(AddLocalStorage(store_.get(), dir_ + "/backups", now).ok());
    ASSERT_TRUE(AddInProcessAgent(store_.get(), "agent-1", now).ok());
    ASSERT_TRUE(AddSqliteDatabase(store_.get(), "orders", "agent-1", now).ok());
    Catalogue(kId, v1::BACKUP_STATE_COMPLETED);
    Catalogue("20260301T000000Z-0000fa11", v1::BACKUP_STATE_FAILED);
    agent_ = std::make_shared<FakeAgentClient>("agent-1", &tally_);
    agents_.Add(agent_);
    c_.store = store_.get();
    c_.agents = &agents_;
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Catalogue(const std::string& id, v1::BackupState state) {
    v1::Job job;
    job.set_id("job-" + id);
    job.set_kind(v1::JOB_KIND_BACKUP);
    job.set_state(v1::JOB_STATE_QUEUED);
    job.set_database("orders");
    job.set_agent("agent-1");
    job.set_created_at("2026-03-01T00:00:00Z");
    ASSERT_TRUE(store_->CreateJob(job, "req").ok());
    v1::Backup b;
    b.set_id(id);
    b.set_database("orders");
    b.set_storage("local");
    b.set_state(state);
    b.set_created_at("2026-03-01T00:00:00Z");
    b.mutable_manifest()->set_dump_object("dump.sqlite.zst");
    b.mutable_manifest()->set_stored_sha256(kSha);
    b.mutable_manifest()->set_agent("agent-1");
    v1::StoredObject* extra = b.mutable_manifest()->add_extra_objects();
    extra->set_object("globals.sql.zst");
    extra->set_stored_sha256(std::string(64, 'e'));
    JobEnd end;
    end.job_id = job.id();
    end.state = v1::JOB_STATE_SUCCEEDED;
    end.now = TimeFromString("2026-03-01T00:00:00Z");
    end.backup = b;
    ASSERT_TRUE(store_->EndJob(end).ok());
  }

  absl::Status Download(const v1::DownloadBackupRequest& req) {
    sent_.clear();
    return BackupDownload(c_).Run(req, [&](const v1::DownloadBackupResponse& m) {
      sent_.push_back(m);
      return true;
    });
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  FakeAgentTally tally_;
  std::shared_ptr<FakeAgentClient> agent_;
  FakeAgentClients agents_;
  AdminContext c_;
  std::vector<v1::DownloadBackupResponse> sent_;
};

TEST_F(BackupDownloadTest, RelaysTheDumpWithTheCataloguesChecksum) {
  agent_->ScriptObject("dump.sqlite.zst", {Header(7), Data("abc"), Data("defg")});
  v1::DownloadBackupRequest req;
  req.set_id(kId);
  absl::Status st = Download(req);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(sent_.size(), 3u);
  EXPECT_EQ(sent_[0].header().file_name(), absl::StrCat("orders-", kId, "-dump.sqlite.zst"));
  EXPECT_EQ(sent_[0].header().stored_sha256(), kSha);
  EXPECT_EQ(sent_[0].header().size_bytes(), 7u);
  EXPECT_EQ(sent_[1].data() + sent_[2].data(), "abcdefg");
  ASSERT_EQ(agent_->object_reads().size(), 1u);
  const v1::ReadBackupObjectRequest read = agent_->object_reads()[0];
  EXPECT_EQ(read.backup().backup_id(), kId);
  EXPECT_EQ(read.backup().database(), "orders");
  EXPECT_EQ(read.backup().storage().path(), dir_ + "/backups");
  EXPECT_EQ(read.presign_ttl_s(), BackupDownload::kDefaultPresignTtlS);
}

TEST_F(BackupDownloadTest, ExtraObjectsAndTheManifestByName) {
  agent_->ScriptObject("globals.sql.zst", {Header(0)});
  v1::DownloadBackupRequest req;
  req.set_id(kId);
  req.set_object("globals.sql.zst");
  ASSERT_TRUE(Download(req).ok());
  EXPECT_EQ(sent_[0].header().stored_sha256(), std::string(64, 'e'));

  // No manifest lists its own checksum: the agent's is passed on.
  v1::ReadBackupObjectResponse h = Header(2);
  h.mutable_header()->set_sha256(std::string(64, 'f'));
  agent_->ScriptObject("manifest.json", {h, Data("{}")});
  req.set_object("manifest.json");
  ASSERT_TRUE(Download(req).ok());
  EXPECT_EQ(sent_[0].header().stored_sha256(), std::string(64, 'f'));
}

TEST_F(BackupDownloadTest, PassesTheRedirectAndTheTtl) {
  agent_->ScriptObject("dump.sqlite.zst", {Header(7, "https://bucket.example/k?X-Amz-Signature=s")});
  v1::DownloadBackupRequest req;
  req.set_id(kId);
  req.set_presign_ttl_s(60);
  ASSERT_TRUE(Download(req).ok());
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].header().redirect_url(), "https://bucket.example/k?X-Amz-Signature=s");
  EXPECT_EQ(sent_[0].header().expires_at(), "2026-03-01T00:05:00Z");
  EXPECT_EQ(agent_->object_reads()[0].presign_ttl_s(), 60u);
}

TEST_F(BackupDownloadTest, RefusesWhatCannotBeDownloaded) {
  v1::DownloadBackupRequest req;
  req.set_id("20260301T000000Z-ffffffff");
  EXPECT_TRUE(absl::IsNotFound(Download(req)));
  req.set_id("20260301T000000Z-0000fa11");
  EXPECT_TRUE(absl::IsFailedPrecondition(Download(req)));
  req.set_id(kId);
  req.set_object("../../etc/passwd");
  absl::Status st = Download(req);
  EXPECT_TRUE(absl::IsNotFound(st)) << st;
  EXPECT_NE(st.message().find("dump.sqlite.zst"), std::string::npos) << st;
  req.set_object("");
  req.set_presign_ttl_s(3601);
  EXPECT_TRUE(absl::IsInvalidArgument(Download(req)));
  ASSERT_TRUE(store_->MarkBackupDeleted(kId, TimeFromString("2026-03-02T00:00:00Z")).ok());
  req.set_presign_ttl_s(0);
  st = Download(req);
  EXPECT_TRUE(absl::IsFailedPrecondition(st)) << st;
  // None of these reached the agent.
  EXPECT_TRUE(agent_->object_reads().empty());
}

TEST_F(BackupDownloadTest, AnAgentSendingMoreOrLessThanItAnnouncedFails) {
  v1::DownloadBackupRequest req;
  req.set_id(kId);
  agent_->ScriptObject("dump.sqlite.zst", {Header(3), Data("ab"), Data("cd")});
  absl::Status st = Download(req);
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  // Nothing past the announced length reaches the client: an HTTP client
  // would take it for the next response.
  std::string relayed;
  for (const v1::DownloadBackupResponse& m : sent_) relayed += m.data();
  EXPECT_EQ(relayed, "ab");
  agent_->ScriptObject("dump.sqlite.zst", {Header(5), Data("abcd")});
  st = Download(req);
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  agent_->ScriptObject("dump.sqlite.zst", {Data("abcd")});
  EXPECT_TRUE(absl::IsInternal(Download(req)));
  agent_->ScriptObject("dump.sqlite.zst", {Header(4), Data("ab")},
                       absl::UnavailableError("connection reset"));
  st = Download(req);
  EXPECT_TRUE(absl::IsUnavailable(st)) << st;
}

}  // namespace
}  // namespace dbdump
