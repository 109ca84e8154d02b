// ListBackups a page at a time: newest first, every backup once across the
// pages, filters kept by the page token, bounds on the page size.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/names.h"
#include "controller/api/backup_service_impl.h"
#include "gtest/gtest.h"
#include "tests/fixtures/test_catalogue.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class BackupListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-list.XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = *Store::Open(dir_ + "/c.db");
    absl::Time now = TimeFromString("2026-03-01T00:00:00Z");
    ASSERT_TRUE(AddLocalStorage(store_.get(), dir_ + "/backups", now).ok());
    ASSERT_TRUE(AddInProcessAgent(store_.get(), "agent-1", now).ok());
    ASSERT_TRUE(AddSqliteDatabase(store_.get(), "orders", "agent-1", now).ok());
    ASSERT_TRUE(AddSqliteDatabase(store_.get(), "users", "agent-1", now).ok());
    // 600 backups a minute apart: every third of users, one in ten failed.
    for (int i = 0; i < 600; ++i) {
      absl::Time at = now + absl::Minutes(i);
      std::string db = i % 3 == 0 ? "users" : "orders";
      v1::Job job;
      job.set_id(absl::StrCat("job-", i));
      job.set_kind(v1::JOB_KIND_BACKUP);
      job.set_state(v1::JOB_STATE_QUEUED);
      job.set_database(db);
      job.set_agent("agent-1");
      job.set_created_at(TimeToString(at));
      ASSERT_TRUE(store_->CreateJob(job, "req").ok());
      v1::Backup b;
      b.set_id(absl::StrCat(absl::FormatTime("%Y%m%dT%H%M%SZ", at, absl::UTCTimeZone()), "-",
                            absl::StrFormat("%08x", i)));
      b.set_database(db);
      b.set_storage("local");
      b.set_state(i % 10 == 0 ? v1::BACKUP_STATE_FAILED : v1::BACKUP_STATE_COMPLETED);
      b.set_created_at(TimeToString(at));
      JobEnd end;
      end.job_id = job.id();
      end.state = v1::JOB_STATE_SUCCEEDED;
      end.now = at;
      end.backup = b;
      ASSERT_TRUE(store_->EndJob(end).ok());
      ids_.push_back(b.id());
    }
    AdminContext c;
    c.store = store_.get();
    service_ = std::make_unique<BackupServiceImpl>(c);
  }
  void TearDown() override { fs::remove_all(dir_); }

  grpc::Status List(const v1::ListBackupsRequest& req, v1::ListBackupsResponse* resp) {
    grpc::ServerContext context;
    resp->Clear();
    return service_->ListBackups(&context, &req, resp);
  }
  // Every page of `req`, in order.
  std::vector<v1::Backup> AllPages(v1::ListBackupsRequest req, int* pages) {
    std::vector<v1::Backup> out;
    *pages = 0;
    do {
      v1::ListBackupsResponse resp;
      grpc::Status st = List(req, &resp);
      EXPECT_TRUE(st.ok()) << st.error_message();
      if (!st.ok()) break;
      ++*pages;
      EXPECT_LE(resp.backups_size(), req.page_size() == 0 ? 100 : static_cast<int>(req.page_size()));
      out.insert(out.end(), resp.backups().begin(), resp.backups().end());
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty() && *pages < 100);
    return out;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<BackupServiceImpl> service_;
  std::vector<std::string> ids_;
};

TEST_F(BackupListTest, PagesCoverEveryBackupOnceNewestFirst) {
  v1::ListBackupsRequest req;
  req.set_page_size(250);
  int pages = 0;
  std::vector<v1::Backup> all = AllPages(req, &pages);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(all.size(), 600u);
  std::set<std::string> seen;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_TRUE(seen.insert(all[i].id()).second) << "twice: " << all[i].id();
    EXPECT_EQ(all[i].id(), ids_[ids_.size() - 1 - i]);
  }
}

TEST_F(BackupListTest, TheDefaultPageIsAHundred) {
  v1::ListBackupsRequest req;
  v1::ListBackupsResponse resp;
  ASSERT_TRUE(List(req, &resp).ok());
  EXPECT_EQ(resp.backups_size(), 100);
  EXPECT_FALSE(resp.next_page_token().empty());
  EXPECT_EQ(resp.backups(0).id(), ids_.back());
}

TEST_F(BackupListTest, FiltersHoldAcrossPages) {
  v1::ListBackupsRequest req;
  req.set_database("users");
  req.set_state(v1::BACKUP_STATE_COMPLETED);
  req.set_created_after("2026-03-01T02:00:00Z");   // i >= 120
  req.set_created_before("2026-03-01T08:00:00Z");  // i < 480
  req.set_page_size(7);
  int pages = 0;
  std::vector<v1::Backup> got = AllPages(req, &pages);
  std::vector<std::string> want;
  for (int i = 479; i >= 120; --i) {
    if (i % 3 == 0 && i % 10 != 0) want.push_back(ids_[i]);
  }
  std::vector<std::string> got_ids;
  for (const v1::Backup& b : got) got_ids.push_back(b.id());
  EXPECT_EQ(got_ids, want);
  EXPECT_EQ(pages, static_cast<int>((want.size() + 6) / 7));
}

TEST_F(BackupListTest, ATokenOfAnotherListingAndOversizedPagesAreRefused) {
  v1::ListBackupsRequest req;
  req.set_database("users");
  req.set_page_size(10);
  v1::ListBackupsResponse resp;
  ASSERT_TRUE(List(req, &resp).ok());
  v1::ListBackupsRequest other;
  other.set_database("orders");
  other.set_page_token(resp.next_page_token());
  grpc::Status st = List(other, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  other.set_page_token("p1.not-base64!");
  EXPECT_EQ(List(other, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListBackupsRequest big;
  big.set_page_size(1001);
  EXPECT_EQ(List(big, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListBackupsRequest bad_time;
  bad_time.set_created_after("yesterday");
  st = List(bad_time, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("RFC 3339"), std::string::npos);
}

}  // namespace
}  // namespace dbdump
