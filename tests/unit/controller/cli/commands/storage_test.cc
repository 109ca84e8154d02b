// "storage add|list" against a scripted fake controller.
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/controller/cli/cli_commands_fixture.h"

namespace dbdump {
namespace {

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

}  // namespace
}  // namespace dbdump

namespace dbdump {
namespace {

TEST_F(CliCommandsTest, StorageReconcileSendsTheFlagsAndPrintsTheActions) {
  v1::ReconcileAction* a = fake_.reconciled.add_actions();
  a->set_kind(v1::RECONCILE_ACTION_REMOVE_OBJECT);
  a->set_database("orders");
  a->set_backup_id("20260301T000000Z-0000000a");
  a->set_key("b/orders/20260301T000000Z-0000000a/dump.sqlite.zst");
  a->set_reason("no manifest: an unfinished backup");
  fake_.reconciled.set_agent("a1");
  fake_.reconciled.set_dry_run(true);
  fake_.reconciled.set_objects_seen(3);
  ASSERT_EQ(Run({"storage", "reconcile", "s1", "--dry-run", "--min-age=90m", "--via=a1"}), 0)
      << err_.str();
  EXPECT_EQ(fake_.reconcile_storage.name(), "s1");
  EXPECT_TRUE(fake_.reconcile_storage.dry_run());
  EXPECT_EQ(fake_.reconcile_storage.min_age_s(), 5400u);
  EXPECT_EQ(fake_.reconcile_storage.agent(), "a1");
  EXPECT_NE(out_.str().find("remove  orders/20260301T000000Z-0000000a"), std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("(dry run: nothing changed): 3 objects"), std::string::npos) << out_.str();
}

TEST_F(CliCommandsTest, StorageReconcileFailsWhenAnActionFailedAndRefusesZeroMinAge) {
  v1::ReconcileAction* a = fake_.reconciled.add_actions();
  a->set_kind(v1::RECONCILE_ACTION_ADOPT);
  a->set_error("database x is not in the catalogue: add it and reconcile again");
  EXPECT_NE(Run({"storage", "reconcile", "s1"}), 0);
  EXPECT_NE(out_.str().find("error: database x is not in the catalogue"), std::string::npos)
      << out_.str();
  EXPECT_EQ(fake_.reconcile_storage.min_age_s(), 0u);  // the controller's default (a day)
  EXPECT_NE(Run({"storage", "reconcile", "s1", "--min-age=0s"}), 0);
  EXPECT_NE(err_.str().find("--min-age"), std::string::npos) << err_.str();
}

}  // namespace
}  // namespace dbdump
