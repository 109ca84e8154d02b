// dbdumpctl verbs against a scripted fake controller: the requests they send,
// the tables, JSON and confirmations they print, and how followed jobs end.
#include <stdlib.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "common/storage/backup_layout.h"
#include "common/storage/local_storage.h"
#include "controller/cli/cli.h"
#include "controller/cli/client/controller_client.h"
#include "controller/cli/output/formatting.h"
#include "controller/cli/output/progress_printer.h"
#include "controller/cli/output/table_printer.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {

// What the fake controller answers and what it was asked; outlives the
// clients the CLI makes, so a test can run several commands against it.
struct FakeController {
  v1::ListAgentsResponse agents;
  v1::ListDatabasesResponse databases;
  v1::ListStoragesResponse storages;
  v1::ListBackupsResponse backups;
  v1::ListJobsResponse jobs;
  std::string server_version;
  absl::Status add_database_error;
  std::vector<v1::Job> stream;
  absl::Status stream_end;

  v1::AddDatabaseRequest add_database;
  v1::RemoveDatabaseRequest remove_database;
  v1::AddStorageRequest add_storage;
  v1::StartBackupRequest start_backup;
  v1::ListBackupsRequest list_backups;
  v1::StartRestoreRequest start_restore;
  v1::ListJobsRequest list_jobs;
  std::string followed;
};

// ControllerClient answering from a FakeController. Calls the tests do not
// script fail with UNIMPLEMENTED.
class FakeControllerClient : public ControllerClient {
 public:
  explicit FakeControllerClient(FakeController* c) : c_(c) {}

  absl::StatusOr<v1::ListAgentsResponse> ListAgents(const v1::ListAgentsRequest&) override {
    return c_->agents;
  }
  absl::StatusOr<v1::AddDatabaseResponse> AddDatabase(const v1::AddDatabaseRequest& req) override {
    c_->add_database = req;
    if (!c_->add_database_error.ok()) return c_->add_database_error;
    v1::AddDatabaseResponse resp;
    *resp.mutable_database()->mutable_target() = req.database();
    resp.mutable_database()->set_storage(req.storage());
    resp.mutable_database()->set_server_version(c_->server_version);
    return resp;
  }
  absl::StatusOr<v1::ListDatabasesResponse> ListDatabases(
      const v1::ListDatabasesRequest&) override {
    return c_->databases;
  }
  absl::StatusOr<v1::RemoveDatabaseResponse> RemoveDatabase(
      const v1::RemoveDatabaseRequest& req) override {
    c_->remove_database = req;
    return v1::RemoveDatabaseResponse();
  }
  absl::StatusOr<v1::AddStorageResponse> AddStorage(const v1::AddStorageRequest& req) override {
    c_->add_storage = req;
    v1::AddStorageResponse resp;
    *resp.mutable_storage() = req.storage();
    return resp;
  }
  absl::StatusOr<v1::ListStoragesResponse> ListStorages(const v1::ListStoragesRequest&) override {
    return c_->storages;
  }
  absl::StatusOr<v1::RemoveStorageResponse> RemoveStorage(
      const v1::RemoveStorageRequest&) override {
    return absl::UnimplementedError("no storage removal scripted");
  }
  absl::StatusOr<v1::StartBackupResponse> StartBackup(const v1::StartBackupRequest& req) override {
    c_->start_backup = req;
    v1::StartBackupResponse resp;
    resp.mutable_job()->set_id("job-1");
    resp.mutable_job()->set_state(v1::JOB_STATE_QUEUED);
    return resp;
  }
  absl::StatusOr<v1::ListBackupsResponse> ListBackups(const v1::ListBackupsRequest& req) override {
    c_->list_backups = req;
    return c_->backups;
  }
  absl::StatusOr<v1::GetBackupResponse> GetBackup(const v1::GetBackupRequest& req) override {
    for (const v1::Backup& b : c_->backups.backups()) {
      if (b.id() == req.id()) {
        v1::GetBackupResponse resp;
        *resp.mutable_backup() = b;
        return resp;
      }
    }
    return absl::NotFoundError("backup \"" + req.id() + "\" not found");
  }
  absl::StatusOr<v1::StartRestoreResponse> StartRestore(
      const v1::StartRestoreRequest& req) override {
    c_->start_restore = req;
    v1::StartRestoreResponse resp;
    resp.mutable_job()->set_id("job-2");
    return resp;
  }
  absl::StatusOr<v1::ListJobsResponse> ListJobs(const v1::ListJobsRequest& req) override {
    c_->list_jobs = req;
    return c_->jobs;
  }
  absl::StatusOr<v1::GetJobResponse> GetJob(const v1::GetJobRequest&) override {
    return absl::UnimplementedError("no job scripted");
  }
  absl::Status FollowJob(const v1::FollowJobRequest& req,
                         const std::function<void(const v1::Job&)>& on_update) override {
    c_->followed = req.id();
    for (const v1::Job& job : c_->stream) on_update(job);
    return c_->stream_end;
  }

 private:
  FakeController* c_;
};

v1::Job MakeJob(v1::JobState state, uint64_t in, uint64_t out, double elapsed) {
  v1::Job job;
  job.set_id("job-1");
  job.set_kind(v1::JOB_KIND_BACKUP);
  job.set_database("orders");
  job.set_backup_id("20260115T020000Z-0badc0de");
  job.set_state(state);
  job.mutable_progress()->set_bytes_in(in);
  job.mutable_progress()->set_bytes_out(out);
  job.mutable_progress()->set_elapsed_s(elapsed);
  return job;
}

class CliCommandsTest : public ::testing::Test {
 protected:
  int Run(const std::vector<std::string>& args, bool tty = false) {
    CliOptions options;
    options.stdout_is_tty = tty;
    options.now = [this] { return now_; };
    options.make_client = [this](const std::string& address, absl::Duration timeout) {
      address_ = address;
      timeout_ = timeout;
      return std::make_unique<FakeControllerClient>(&fake_);
    };
    out_.str("");
    err_.str("");
    return Cli(options).Run(args, out_, err_);
  }

  FakeController fake_;
  absl::Time now_ = absl::FromUnixSeconds(1768442400);
  std::string address_;
  absl::Duration timeout_;
  std::ostringstream out_, err_;
};

TEST_F(CliCommandsTest, GlobalFlagsReachTheClient) {
  ASSERT_EQ(Run({"--controller", "ctl:7300", "--timeout_s=5", "agents", "list"}), 0) << err_.str();
  EXPECT_EQ(address_, "ctl:7300");
  EXPECT_EQ(timeout_, absl::Seconds(5));
  ASSERT_EQ(Run({"agents", "list"}), 0);
  EXPECT_EQ(address_, "127.0.0.1:7300");
  EXPECT_EQ(timeout_, absl::Seconds(30));
}

TEST_F(CliCommandsTest, DatabaseAddPostgresSendsTheTarget) {
  fake_.server_version = "postgresql 15.18";
  ASSERT_EQ(Run({"database", "add", "orders", "--engine=postgres", "--agent", "a1", "--storage=s1",
                 "--host=db.internal", "--port", "5432", "--user=backup", "--dbname=orders_prod",
                 "--password-ref=env:PGPASS", "--skip-connection-test"}),
            0)
      << err_.str();
  const v1::DatabaseTarget& t = fake_.add_database.database();
  EXPECT_EQ(t.name(), "orders");
  EXPECT_EQ(t.engine(), v1::ENGINE_POSTGRES);
  EXPECT_EQ(t.agent(), "a1");
  EXPECT_EQ(t.host(), "db.internal");
  EXPECT_EQ(t.port(), 5432u);
  EXPECT_EQ(t.user(), "backup");
  EXPECT_EQ(t.database(), "orders_prod");
  EXPECT_EQ(t.password_ref(), "env:PGPASS");
  EXPECT_EQ(fake_.add_database.storage(), "s1");
  EXPECT_TRUE(fake_.add_database.skip_connection_test());
  EXPECT_EQ(out_.str(), "database \"orders\" added (postgresql 15.18)\n");
}

TEST_F(CliCommandsTest, DatabaseAddSendsDumpOptionsInOrder) {
  ASSERT_EQ(Run({"database", "add", "shop", "--engine=mariadb", "--agent=a1", "--storage=s1",
                 "--dbname=shop", "--table=orders", "--table", "a,b", "--exclude-table=x",
                 "--also-database=crm", "--schema-only"}),
            0)
      << err_.str();
  const v1::DatabaseTarget& t = fake_.add_database.database();
  EXPECT_EQ(t.engine(), v1::ENGINE_MYSQL);
  ASSERT_EQ(t.dump_options().include_tables_size(), 2);
  EXPECT_EQ(t.dump_options().include_tables(0), "orders");
  EXPECT_EQ(t.dump_options().include_tables(1), "a,b");  // values are never split
  EXPECT_EQ(t.dump_options().exclude_tables(0), "x");
  EXPECT_EQ(t.dump_options().databases(0), "crm");
  EXPECT_TRUE(t.dump_options().schema_only());
  EXPECT_FALSE(t.dump_options().data_only());
}

TEST_F(CliCommandsTest, RestoreAndTestRestoreSendTheirOptions) {
  const std::string id = "20260115T020000Z-0badc0de";
  ASSERT_EQ(Run({"restore", id, "--clean", "--jobs=4", "--no-create"}), 0) << err_.str();
  EXPECT_EQ(fake_.start_restore.target(), "");  // the original database
  EXPECT_TRUE(fake_.start_restore.options().clean());
  EXPECT_TRUE(fake_.start_restore.options().no_create());
  EXPECT_EQ(fake_.start_restore.options().jobs(), 4u);
  EXPECT_FALSE(fake_.start_restore.options().dry_run());
  ASSERT_EQ(Run({"restore", id, "--dry-run"}), 0) << err_.str();
  EXPECT_TRUE(fake_.start_restore.options().dry_run());
  ASSERT_EQ(Run({"backup", "test-restore", id}), 0) << err_.str();
  EXPECT_TRUE(fake_.start_restore.options().test_restore());
  EXPECT_FALSE(fake_.start_restore.options().clean());
}

TEST_F(CliCommandsTest, DatabaseAddSqlite) {
  ASSERT_EQ(Run({"database", "add", "app", "--engine=sqlite", "--agent=a1", "--storage=s1",
                 "--path=/var/lib/app.db"}),
            0)
      << err_.str();
  EXPECT_EQ(fake_.add_database.database().engine(), v1::ENGINE_SQLITE);
  EXPECT_EQ(fake_.add_database.database().path(), "/var/lib/app.db");
  EXPECT_FALSE(fake_.add_database.skip_connection_test());
  EXPECT_EQ(out_.str(), "database \"app\" added\n");
}

TEST_F(CliCommandsTest, ControllerErrorsExitOneWithTheirMessage) {
  fake_.add_database_error = absl::FailedPreconditionError("agent \"a1\" is offline");
  EXPECT_EQ(Run({"database", "add", "app", "--engine=sqlite", "--agent=a1", "--storage=s1",
                 "--path=/var/lib/app.db"}),
            1);
  EXPECT_EQ(err_.str(), "dbdumpctl: error: agent \"a1\" is offline\n");
}

TEST_F(CliCommandsTest, StorageAdd) {
  ASSERT_EQ(Run({"storage", "add", "s1", "--path", "/srv/backups", "--kind=local"}), 0)
      << err_.str();
  EXPECT_EQ(fake_.add_storage.storage().kind(), v1::STORAGE_KIND_LOCAL);
  EXPECT_EQ(fake_.add_storage.storage().path(), "/srv/backups");
  EXPECT_EQ(out_.str(), "storage \"s1\" added (local /srv/backups)\n");
}

TEST_F(CliCommandsTest, StorageAddLocalWithProbeFlags) {
  ASSERT_EQ(Run({"storage", "add", "s1", "--kind=local", "--path=/srv/backups", "--prefix=db",
                 "--probe-agent=a1"}),
            0)
      << err_.str();
  EXPECT_EQ(fake_.add_storage.probe_agent(), "a1");
  EXPECT_FALSE(fake_.add_storage.skip_probe());
  EXPECT_EQ(fake_.add_storage.storage().prefix(), "db");
  EXPECT_EQ(fake_.add_storage.storage().bucket(), "");
  EXPECT_EQ(out_.str(), "storage \"s1\" added (local /srv/backups/db)\n");

  ASSERT_EQ(Run({"storage", "add", "s2", "--kind=local", "--path=/srv/b", "--skip-probe"}), 0)
      << err_.str();
  EXPECT_TRUE(fake_.add_storage.skip_probe());
  EXPECT_EQ(out_.str(), "storage \"s2\" added (local /srv/b, not probed)\n");
}

TEST_F(CliCommandsTest, StorageAddS3SendsTheWholeDestination) {
  ASSERT_EQ(Run({"storage",
                 "add",
                 "b",
                 "--kind=s3",
                 "--bucket",
                 "backups.example",
                 "--prefix=prod",
                 "--region=eu-west-1",
                 "--endpoint=https://minio.internal:9000",
                 "--path-style",
                 "--role-arn=arn:aws:iam::123456789012:role/dbdump",
                 "--external-id=ext-7",
                 "--sts-endpoint=https://sts.internal",
                 "--sse=aws:kms",
                 "--kms-key-id=key-1",
                 "--storage-class=STANDARD_IA",
                 "--credentials-ref=file:/etc/dbdump/aws",
                 "--part-size=16MiB",
                 "--upload-concurrency=8",
                 "--ca-file=/etc/ssl/minio.pem",
                 "--probe-agent=a1"}),
            0)
      << err_.str();
  const v1::AddStorageRequest& req = fake_.add_storage;
  const v1::StorageDestination& s = req.storage();
  EXPECT_EQ(s.name(), "b");
  EXPECT_EQ(s.kind(), v1::STORAGE_KIND_S3);
  EXPECT_EQ(s.path(), "");
  EXPECT_EQ(s.bucket(), "backups.example");
  EXPECT_EQ(s.prefix(), "prod");
  EXPECT_EQ(s.region(), "eu-west-1");
  EXPECT_EQ(s.endpoint(), "https://minio.internal:9000");
  EXPECT_TRUE(s.path_style());
  EXPECT_EQ(s.role_arn(), "arn:aws:iam::123456789012:role/dbdump");
  EXPECT_EQ(s.external_id(), "ext-7");
  EXPECT_EQ(s.sts_endpoint(), "https://sts.internal");
  EXPECT_EQ(s.sse(), "aws:kms");
  EXPECT_EQ(s.kms_key_id(), "key-1");
  EXPECT_EQ(s.storage_class(), "STANDARD_IA");
  EXPECT_EQ(s.credentials_ref(), "file:/etc/dbdump/aws");
  EXPECT_EQ(s.part_size_bytes(), 16u << 20);
  EXPECT_EQ(s.upload_concurrency(), 8u);
  EXPECT_EQ(s.ca_file(), "/etc/ssl/minio.pem");
  EXPECT_EQ(req.probe_agent(), "a1");
  EXPECT_FALSE(req.skip_probe());
  EXPECT_EQ(out_.str(), "storage \"b\" added (s3://backups.example/prod, probed)\n");
}

TEST_F(CliCommandsTest, StorageAddS3MinimalLeavesDefaultsToTheController) {
  ASSERT_EQ(Run({"storage", "add", "b", "--kind=s3", "--bucket=backups", "--skip-probe"}), 0)
      << err_.str();
  const v1::StorageDestination& s = fake_.add_storage.storage();
  EXPECT_EQ(s.bucket(), "backups");
  EXPECT_EQ(s.prefix(), "");
  EXPECT_EQ(s.region(), "");
  EXPECT_FALSE(s.path_style());
  EXPECT_EQ(s.part_size_bytes(), 0u);
  EXPECT_EQ(s.upload_concurrency(), 0u);
  EXPECT_EQ(s.credentials_ref(), "");
  EXPECT_TRUE(fake_.add_storage.skip_probe());
  EXPECT_EQ(out_.str(), "storage \"b\" added (s3://backups, not probed)\n");
}

TEST_F(CliCommandsTest, StorageListShowsWhereEachOneIs) {
  v1::StorageDestination* local = fake_.storages.add_storages();
  local->set_name("disk");
  local->set_kind(v1::STORAGE_KIND_LOCAL);
  local->set_path("/srv/backups");
  v1::StorageDestination* s3 = fake_.storages.add_storages();
  s3->set_name("b");
  s3->set_kind(v1::STORAGE_KIND_S3);
  s3->set_bucket("backups");
  s3->set_prefix("prod");
  s3->set_region("eu-west-1");
  s3->set_endpoint("http://minio:9000");
  s3->set_role_arn("arn:aws:iam::123456789012:role/dbdump");
  ASSERT_EQ(Run({"storage", "list"}), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            "NAME  KIND   LOCATION           REGION     ENDPOINT           ROLE\n"
            "disk  local  /srv/backups       -          -                  -\n"
            "b     s3     s3://backups/prod  eu-west-1  http://minio:9000  "
            "arn:aws:iam::123456789012:role/dbdump\n");
}

TEST_F(CliCommandsTest, S3ListNeedsNoControllerAndBuildsTheDestination) {
  char pattern[] = "/tmp/dbdumpctl-s3list.XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  std::string dir = pattern;
  auto local = LocalStorage::Open(dir);
  ASSERT_TRUE(local.ok()) << local.status();
  v1::Manifest m;
  m.set_backup_id("20260115T020000Z-0badc0de");
  m.set_database("orders");
  m.set_engine(v1::ENGINE_POSTGRES);
  m.set_compression(v1::COMPRESSION_ZSTD);
  m.set_dump_object("dump.pgdump.zst");
  m.set_raw_size_bytes(4096);
  m.set_stored_size_bytes(1024);
  m.set_stored_sha256(std::string(64, 'c'));
  m.set_finished_at("2026-01-15T02:00:05Z");
  ASSERT_TRUE(WriteSmallObject(local->get(), ManifestKey("prod/nightly", "orders", m.backup_id()),
                               ManifestToJson(m))
                  .ok());

  v1::StorageDestination opened;
  CliOptions options;
  options.make_client = [](const std::string&, absl::Duration) {
    ADD_FAILURE() << "s3 list must not call the controller";
    return std::unique_ptr<ControllerClient>();
  };
  options.open_storage =
      [&](const v1::StorageDestination& dest) -> absl::StatusOr<std::unique_ptr<Storage>> {
    opened = dest;
    return std::unique_ptr<Storage>(*LocalStorage::Open(dir));
  };
  ASSERT_EQ(Cli(options).Run(
                {"s3", "list", "s3://backups/prod/nightly/", "--database=orders",
                 "--endpoint=http://127.0.0.1:9000", "--region=eu-west-1", "--path-style",
                 "--credentials-ref=file:/home/me/.aws/credentials", "--ca-file=/etc/ca.pem"},
                out_, err_),
            0)
      << err_.str();
  EXPECT_EQ(opened.kind(), v1::STORAGE_KIND_S3);
  EXPECT_EQ(opened.bucket(), "backups");
  EXPECT_EQ(opened.prefix(), "prod/nightly");
  EXPECT_EQ(opened.endpoint(), "http://127.0.0.1:9000");
  EXPECT_EQ(opened.region(), "eu-west-1");
  EXPECT_TRUE(opened.path_style());
  EXPECT_EQ(opened.credentials_ref(), "file:/home/me/.aws/credentials");
  EXPECT_EQ(opened.ca_file(), "/etc/ca.pem");
  EXPECT_EQ(out_.str(),
            "DATABASE  BACKUP ID                  ENGINE    STORED   RAW      RATIO  COMPRESSION  "
            "FINISHED              STORED SHA256\n"
            "orders    20260115T020000Z-0badc0de  postgres  1.0 KiB  4.0 KiB  4.00x  zstd         "
            "2026-01-15T02:00:05Z  cccccccccccc\n");

  // Errors opening the bucket name it and exit 1.
  options.open_storage =
      [](const v1::StorageDestination&) -> absl::StatusOr<std::unique_ptr<Storage>> {
    return absl::UnauthenticatedError("no AWS credentials found");
  };
  out_.str("");
  err_.str("");
  EXPECT_EQ(Cli(options).Run({"s3", "list", "s3://backups/prod"}, out_, err_), 1);
  EXPECT_EQ(err_.str(),
            "dbdumpctl: error: cannot open s3://backups/prod: no AWS credentials found\n");
  std::filesystem::remove_all(dir);
}

TEST_F(CliCommandsTest, DatabaseListTable) {
  v1::Database* pg = fake_.databases.add_databases();
  pg->mutable_target()->set_name("orders");
  pg->mutable_target()->set_engine(v1::ENGINE_POSTGRES);
  pg->mutable_target()->set_agent("a1");
  pg->mutable_target()->set_host("db");
  pg->mutable_target()->set_port(5432);
  pg->mutable_target()->set_database("orders");
  pg->set_storage("s1");
  pg->set_server_version("15.18");
  v1::Database* lite = fake_.databases.add_databases();
  lite->mutable_target()->set_name("app");
  lite->mutable_target()->set_engine(v1::ENGINE_SQLITE);
  lite->mutable_target()->set_agent("agent-two");
  lite->mutable_target()->set_path("/data/app.db");
  lite->set_storage("s1");
  ASSERT_EQ(Run({"database", "list"}), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            "NAME    ENGINE    AGENT      STORAGE  LOCATION        SERVER\n"
            "orders  postgres  a1         s1       db:5432/orders  15.18\n"
            "app     sqlite    agent-two  s1       /data/app.db    -\n");
}

TEST_F(CliCommandsTest, JsonPrintsTheWholeListResponse) {
  fake_.databases.add_databases()->mutable_target()->set_name("orders");
  ASSERT_EQ(Run({"--output=json", "database", "list"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("\"databases\": ["), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("\"server_version\": \"\""), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("\"engine\": \"ENGINE_UNSPECIFIED\""), std::string::npos);
}

TEST_F(CliCommandsTest, BackupListAndShow) {
  v1::Backup* b = fake_.backups.add_backups();
  b->set_id("20260115T020000Z-0badc0de");
  b->set_database("orders");
  b->set_state(v1::BACKUP_STATE_COMPLETED);
  b->set_duration_s(12.34);
  b->set_created_at("2026-01-15T02:00:00Z");
  b->mutable_manifest()->set_raw_size_bytes(10 * 1024 * 1024);
  b->mutable_manifest()->set_stored_size_bytes(2 * 1024 * 1024);
  b->mutable_manifest()->set_compression(v1::COMPRESSION_ZSTD);
  b->mutable_manifest()->set_raw_sha256("aa11");
  b->mutable_manifest()->set_stored_sha256("bb22");
  ASSERT_EQ(Run({"backup", "list", "--database", "orders"}), 0) << err_.str();
  EXPECT_EQ(fake_.list_backups.database(), "orders");
  EXPECT_EQ(
      out_.str(),
      "ID                         DATABASE  STATE      SIZE     RAW       RATIO  COMPRESSION  "
      "DURATION  CREATED\n"
      "20260115T020000Z-0badc0de  orders    completed  2.0 MiB  10.0 MiB  5.00x  zstd         "
      "12.3s     2026-01-15T02:00:00Z\n");

  ASSERT_EQ(Run({"backup", "show", "20260115T020000Z-0badc0de"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("raw size:         10485760 bytes (10.0 MiB)\n"), std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("raw sha256:       aa11\n"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("stored sha256:    bb22\n"), std::string::npos) << out_.str();

  EXPECT_EQ(Run({"backup", "show", "20260115T020000Z-ffffffff"}), 1);
  EXPECT_EQ(err_.str(), "dbdumpctl: error: backup \"20260115T020000Z-ffffffff\" not found\n");
}

TEST_F(CliCommandsTest, JobListPassesFiltersAndShortensEnums) {
  fake_.jobs.add_jobs()->CopyFrom(MakeJob(v1::JOB_STATE_FAILED, 2048, 0, 1));
  fake_.jobs.mutable_jobs(0)->set_error("pg_dump exited 1:\nno such table");
  ASSERT_EQ(Run({"job", "list", "--limit", "5", "--database=orders"}), 0) << err_.str();
  EXPECT_EQ(fake_.list_jobs.limit(), 5u);
  EXPECT_EQ(fake_.list_jobs.database(), "orders");
  EXPECT_EQ(out_.str(),
            "ID     KIND    DATABASE  STATE   BACKUP                     IN       OUT  ERROR\n"
            "job-1  backup  orders    failed  20260115T020000Z-0badc0de  2.0 KiB  0 B  "
            "pg_dump exited 1: no such table\n");
}

TEST_F(CliCommandsTest, BackupRunWaitSucceeds) {
  v1::Backup* b = fake_.backups.add_backups();
  b->set_id("20260115T020000Z-0badc0de");
  b->set_duration_s(3.0);
  b->mutable_manifest()->set_raw_size_bytes(4096);
  b->mutable_manifest()->set_stored_size_bytes(1024);
  fake_.stream = {MakeJob(v1::JOB_STATE_QUEUED, 0, 0, 0),
                  MakeJob(v1::JOB_STATE_RUNNING, 1024, 256, 1.0),
                  MakeJob(v1::JOB_STATE_RUNNING, 2048, 512, 2.0),
                  MakeJob(v1::JOB_STATE_SUCCEEDED, 4096, 1024, 3.0)};
  ASSERT_EQ(Run({"backup", "run", "orders", "--wait", "--compression", "gzip", "--level=9"}), 0)
      << err_.str();
  EXPECT_EQ(fake_.start_backup.database(), "orders");
  EXPECT_EQ(fake_.start_backup.compression(), v1::COMPRESSION_GZIP);
  EXPECT_EQ(fake_.start_backup.compression_level(), 9);
  EXPECT_EQ(fake_.followed, "job-1");
  // Not a terminal and the clock stands still: one line per state only.
  EXPECT_EQ(out_.str(),
            "backup job job-1 queued for orders\n"
            "queued in=0 B out=0 B 0.0s\n"
            "running in=1.0 KiB out=256 B 1.0s\n"
            "succeeded in=4.0 KiB out=1.0 KiB 3.0s\n"
            "backup 20260115T020000Z-0badc0de completed: 4.0 KiB -> 1.0 KiB (4.00x) in 3.0s\n");
}

TEST_F(CliCommandsTest, BackupRunWithoutWaitDefaultsToZstd) {
  ASSERT_EQ(Run({"backup", "run", "orders"}), 0) << err_.str();
  EXPECT_EQ(fake_.start_backup.compression(), v1::COMPRESSION_ZSTD);
  EXPECT_EQ(fake_.followed, "");
  EXPECT_EQ(out_.str(), "backup job job-1 queued for orders\n");
}

TEST_F(CliCommandsTest, JobWaitFailureExitsOne) {
  v1::Job failed = MakeJob(v1::JOB_STATE_FAILED, 10, 0, 0.5);
  failed.set_error("connection refused");
  fake_.stream = {failed};
  EXPECT_EQ(Run({"job", "wait", "job-1"}), 1);
  EXPECT_EQ(err_.str(), "job job-1 failed: connection refused\n");

  fake_.stream = {MakeJob(v1::JOB_STATE_CANCELLED, 0, 0, 0)};
  EXPECT_EQ(Run({"job", "wait", "job-1"}), 1);
  EXPECT_EQ(err_.str(), "job job-1 cancelled\n");
}

TEST_F(CliCommandsTest, JobWaitStreamEndingEarlyIsAnError) {
  fake_.stream = {MakeJob(v1::JOB_STATE_RUNNING, 0, 0, 0)};
  EXPECT_EQ(Run({"job", "wait", "job-1"}), 1);
  EXPECT_NE(err_.str().find("run \"dbdumpctl job wait job-1\""), std::string::npos) << err_.str();
}

TEST_F(CliCommandsTest, JobWaitJsonPrintsOnlyTheFinalJob) {
  fake_.stream = {MakeJob(v1::JOB_STATE_RUNNING, 1, 1, 1),
                  MakeJob(v1::JOB_STATE_SUCCEEDED, 2, 2, 2)};
  ASSERT_EQ(Run({"--output=json", "job", "wait", "job-1"}), 0) << err_.str();
  EXPECT_EQ(out_.str().front(), '{');
  EXPECT_NE(out_.str().find("\"state\": \"JOB_STATE_SUCCEEDED\""), std::string::npos);
  EXPECT_EQ(out_.str().find("RUNNING"), std::string::npos);
}

TEST_F(CliCommandsTest, RestoreWaitOnTerminalOverwritesProgress) {
  v1::Job running = MakeJob(v1::JOB_STATE_RUNNING, 100, 0, 1);
  running.set_kind(v1::JOB_KIND_RESTORE);
  v1::Job done = MakeJob(v1::JOB_STATE_SUCCEEDED, 200, 0, 2);
  done.set_kind(v1::JOB_KIND_RESTORE);
  fake_.stream = {running, done};
  ASSERT_EQ(Run({"restore", "20260115T020000Z-0badc0de", "--wait", "--target", "orders_copy",
                 "--via=orders"},
                /*tty=*/true),
            0)
      << err_.str();
  EXPECT_EQ(fake_.start_restore.backup_id(), "20260115T020000Z-0badc0de");
  EXPECT_EQ(fake_.start_restore.target(), "orders_copy");
  EXPECT_EQ(fake_.start_restore.via_database(), "orders");
  EXPECT_EQ(out_.str(),
            "restore job job-2 queued: backup 20260115T020000Z-0badc0de into orders_copy\n"
            "\rrunning in=100 B out=0 B 1.0s"
            "\rsucceeded in=200 B out=0 B 2.0s\n"
            "restore completed into orders_copy\n");
}

TEST(ProgressPrinterTest, ThrottlesUnchangedStateOffTerminal) {
  std::ostringstream out;
  absl::Time now = absl::UnixEpoch();
  ProgressPrinter printer({&out, false, [&] { return now; }, absl::Seconds(2)});
  printer.Update(MakeJob(v1::JOB_STATE_RUNNING, 1, 1, 0));
  now += absl::Seconds(1);
  printer.Update(MakeJob(v1::JOB_STATE_RUNNING, 2, 2, 1));  // too soon
  now += absl::Seconds(1);
  printer.Update(MakeJob(v1::JOB_STATE_RUNNING, 3, 3, 2));    // 2 s since the last line
  printer.Update(MakeJob(v1::JOB_STATE_SUCCEEDED, 4, 4, 2));  // state change
  printer.Finish();
  EXPECT_EQ(out.str(),
            "running in=1 B out=1 B 0.0s\n"
            "running in=3 B out=3 B 2.0s\n"
            "succeeded in=4 B out=4 B 2.0s\n");
}

TEST(ProgressPrinterTest, BlanksTheRestOfALongerLineOnTerminal) {
  std::ostringstream out;
  ProgressPrinter printer({&out, true, nullptr, absl::Seconds(2)});
  printer.Update(MakeJob(v1::JOB_STATE_RUNNING, 2048, 2048, 10));
  printer.Update(MakeJob(v1::JOB_STATE_RUNNING, 1, 1, 1));
  printer.Finish();
  EXPECT_EQ(out.str(),
            "\rrunning in=2.0 KiB out=2.0 KiB 10.0s"
            "\rrunning in=1 B out=1 B 1.0s         \n");
}

TEST(FormattingTest, HumanBytesAndEnumNames) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(1048575), "1.0 MiB");
  EXPECT_EQ(HumanBytes(5ull << 30), "5.0 GiB");
  EXPECT_EQ(JobStateName(v1::JOB_STATE_SUCCEEDED), "succeeded");
  EXPECT_EQ(EngineName(v1::ENGINE_POSTGRES), "postgres");
  EXPECT_EQ(StorageKindName(v1::STORAGE_KIND_LOCAL), "local");
  EXPECT_EQ(FormatRatio(10, 0), "-");
}

TEST(TablePrinterTest, AlignsColumnsWithoutTrailingSpaces) {
  TablePrinter table({"A", "LONGER"});
  table.AddRow({"wide-cell", ""});
  table.AddRow({"x"});
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(),
            "A          LONGER\n"
            "wide-cell  -\n"
            "x          -\n");
}

}  // namespace
}  // namespace dbdump
