// "s3 list" reads a bucket (here a LocalStorage) without the controller.
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/storage/backup_layout.h"
#include "common/storage/local_storage.h"
#include "controller/cli/cli.h"
#include "gtest/gtest.h"
#include "tests/unit/controller/cli/cli_commands_fixture.h"

namespace dbdump {
namespace {

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
  options.make_client = [](const ControllerConnection&) {
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

  // A profile of the shared AWS files instead of a credentials file; not both.
  options.open_storage =
      [&](const v1::StorageDestination& dest) -> absl::StatusOr<std::unique_ptr<Storage>> {
    opened = dest;
    return std::unique_ptr<Storage>(*LocalStorage::Open(dir));
  };
  ASSERT_EQ(Cli(options).Run({"s3", "list", "s3://backups/prod/nightly", "--profile=backup-reader"},
                             out_, err_),
            0)
      << err_.str();
  EXPECT_EQ(opened.profile(), "backup-reader");
  EXPECT_EQ(opened.credentials_ref(), "");
  EXPECT_EQ(Cli(options).Run({"s3", "list", "s3://backups/prod", "--profile=a b"}, out_, err_), 2);
  EXPECT_EQ(Cli(options).Run({"s3", "list", "s3://backups/prod", "--profile=x",
                              "--credentials-ref=file:/c"},
                             out_, err_),
            2);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dbdump
