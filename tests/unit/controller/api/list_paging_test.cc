// The List calls a page at a time: jobs newest first with database and
// state filters kept by the page token (ties on the creation time broken by
// id), the name-ordered lists (databases, storages, schedules, agents,
// tokens) by name; every item once across the pages; page sizes and tokens
// of other listings refused.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/names.h"
#include "controller/api/database_service_impl.h"
#include "controller/api/job_service_impl.h"
#include "controller/api/storage_service_impl.h"
#include "gtest/gtest.h"
#include "tests/fixtures/test_catalogue.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class ListPagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-paging.XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = *Store::Open(dir_ + "/c.db");
    absl::Time now = TimeFromString("2026-03-01T00:00:00Z");
    ASSERT_TRUE(AddLocalStorage(store_.get(), dir_ + "/backups", now).ok());
    ASSERT_TRUE(AddInProcessAgent(store_.get(), "agent-1", now).ok());
    for (int i = 0; i < 205; ++i) {
      ASSERT_TRUE(
          AddSqliteDatabase(store_.get(), absl::StrFormat("db%03d", i), "agent-1", now).ok());
    }
    // 300 jobs a minute apart, but jobs 100 and 101 at the same second:
    // every third of db001, one in four failed, the rest succeeded.
    for (int i = 0; i < 300; ++i) {
      absl::Time at = now + absl::Minutes(i == 101 ? 100 : i);
      v1::Job job;
      job.set_id(absl::StrFormat("job-%03d", i));
      job.set_kind(v1::JOB_KIND_BACKUP);
      job.set_state(v1::JOB_STATE_QUEUED);
      job.set_database(i % 3 == 0 ? "db001" : "db000");
      job.set_agent("agent-1");
      job.set_created_at(TimeToString(at));
      ASSERT_TRUE(store_->CreateJob(job, "req").ok());
      v1::JobState end = i % 4 == 0 ? v1::JOB_STATE_FAILED : v1::JOB_STATE_SUCCEEDED;
      ASSERT_TRUE(store_->TransitionJob(job.id(), end, "", at).ok());
      jobs_.push_back(job);
    }
    AdminContext c;
    c.store = store_.get();
    jobs_service_ = std::make_unique<JobServiceImpl>(c);
    databases_ = std::make_unique<DatabaseServiceImpl>(c);
    storages_ = std::make_unique<StorageServiceImpl>(c);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Every page of `req`, in order.
  std::vector<std::string> AllJobs(v1::ListJobsRequest req, int* pages) {
    std::vector<std::string> ids;
    *pages = 0;
    do {
      grpc::ServerContext ctx;
      v1::ListJobsResponse resp;
      grpc::Status st = jobs_service_->ListJobs(&ctx, &req, &resp);
      EXPECT_TRUE(st.ok()) << st.error_message();
      if (!st.ok()) break;
      ++*pages;
      for (const v1::Job& j : resp.jobs()) ids.push_back(j.id());
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty() && *pages < 100);
    return ids;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  std::vector<v1::Job> jobs_;
  std::unique_ptr<JobServiceImpl> jobs_service_;
  std::unique_ptr<DatabaseServiceImpl> databases_;
  std::unique_ptr<StorageServiceImpl> storages_;
};

TEST_F(ListPagingTest, JobsComeNewestFirstEachOnceAcrossPages) {
  v1::ListJobsRequest req;
  req.set_page_size(40);
  int pages = 0;
  std::vector<std::string> got = AllJobs(req, &pages);
  EXPECT_EQ(pages, 8);
  std::vector<std::string> want;
  for (int i = 299; i >= 0; --i) {
    if (i == 101 || i == 100) continue;
    want.push_back(jobs_[i].id());
    // Same second: the higher id first.
    if (i == 102) {
      want.push_back("job-101");
      want.push_back("job-100");
    }
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), 300u);
}

TEST_F(ListPagingTest, JobFiltersHoldAcrossPages) {
  v1::ListJobsRequest req;
  req.set_database("db001");
  req.set_state(v1::JOB_STATE_FAILED);
  req.set_page_size(3);
  int pages = 0;
  std::vector<std::string> got = AllJobs(req, &pages);
  std::vector<std::string> want;
  for (int i = 299; i >= 0; --i) {
    if (i % 3 == 0 && i % 4 == 0) want.push_back(jobs_[i].id());
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(pages, static_cast<int>((want.size() + 2) / 3));
}

TEST_F(ListPagingTest, JobPagesHaveBoundsAndTokensBelongToTheirFilters) {
  grpc::ServerContext ctx;
  v1::ListJobsRequest req;
  v1::ListJobsResponse resp;
  ASSERT_TRUE(jobs_service_->ListJobs(&ctx, &req, &resp).ok());
  EXPECT_EQ(resp.jobs_size(), 100) << "100 by default";
  EXPECT_EQ(resp.jobs(0).id(), "job-299");

  v1::ListJobsRequest other;
  other.set_database("db001");
  other.set_page_token(resp.next_page_token());
  EXPECT_EQ(jobs_service_->ListJobs(&ctx, &other, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListJobsRequest big;
  big.set_page_size(1001);
  EXPECT_EQ(jobs_service_->ListJobs(&ctx, &big, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // The older `limit` still sizes the page.
  v1::ListJobsRequest limited;
  limited.set_limit(7);
  resp.Clear();
  ASSERT_TRUE(jobs_service_->ListJobs(&ctx, &limited, &resp).ok());
  EXPECT_EQ(resp.jobs_size(), 7);
}

TEST_F(ListPagingTest, DatabasesComeByNameAHundredAPage) {
  std::vector<std::string> names;
  v1::ListDatabasesRequest req;
  int pages = 0;
  do {
    grpc::ServerContext ctx;
    v1::ListDatabasesResponse resp;
    grpc::Status st = databases_->ListDatabases(&ctx, &req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ++pages;
    EXPECT_LE(resp.databases_size(), 100);
    for (const v1::Database& d : resp.databases()) names.push_back(d.target().name());
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(names.size(), 205u);
  for (int i = 0; i < 205; ++i) EXPECT_EQ(names[i], absl::StrFormat("db%03d", i));

  // A token of the databases is no token of the storages.
  grpc::ServerContext ctx;
  v1::ListDatabasesRequest first;
  first.set_page_size(1);
  v1::ListDatabasesResponse resp;
  ASSERT_TRUE(databases_->ListDatabases(&ctx, &first, &resp).ok());
  v1::ListStoragesRequest storages;
  storages.set_page_token(resp.next_page_token());
  v1::ListStoragesResponse sresp;
  EXPECT_EQ(storages_->ListStorages(&ctx, &storages, &sresp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  storages.clear_page_token();
  storages.set_page_size(1001);
  EXPECT_EQ(storages_->ListStorages(&ctx, &storages, &sresp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace dbdump
