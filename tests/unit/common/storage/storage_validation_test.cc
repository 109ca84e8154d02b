#include "common/storage/storage_validation.h"

#include "gtest/gtest.h"

namespace dbdump {
namespace {

v1::StorageDestination S3() {
  v1::StorageDestination s;
  s.set_name("prod");
  s.set_kind(v1::STORAGE_KIND_S3);
  s.set_bucket("acme-backups");
  s.set_region("eu-west-1");
  return s;
}

// The message must name what is wrong.
void ExpectRejected(const v1::StorageDestination& s, const std::string& mentions) {
  absl::Status st = ValidateStorageDestination(s);
  EXPECT_TRUE(absl::IsInvalidArgument(st)) << st;
  EXPECT_NE(st.message().find(mentions), std::string::npos) << st.message();
}

TEST(StorageValidationTest, AcceptsGoodDestinations) {
  EXPECT_TRUE(ValidateStorageDestination(S3()).ok());
  v1::StorageDestination full = S3();
  full.set_prefix("db/prod");
  full.set_endpoint("https://s3.example.com:9000");
  full.set_role_arn("arn:aws:iam::123456789012:role/dbdump");
  full.set_external_id("x-1");
  full.set_sse("aws:kms");
  full.set_kms_key_id("alias/backups");
  full.set_credentials_ref("file:/etc/dbdump/aws");
  full.set_part_size_bytes(16 << 20);
  EXPECT_TRUE(ValidateStorageDestination(full).ok()) << ValidateStorageDestination(full);
  v1::StorageDestination local;
  local.set_name("disk");
  local.set_kind(v1::STORAGE_KIND_LOCAL);
  local.set_path("/srv/backups");
  EXPECT_TRUE(ValidateStorageDestination(local).ok());
}

TEST(StorageValidationTest, RejectsBadFieldsNamingThem) {
  auto with = [](auto f) {
    v1::StorageDestination s = S3();
    f(s);
    return s;
  };
  for (std::string bucket : std::vector<std::string>{"Bad_Bucket", "ab", "-start", "end-", "a..b", "192.168.1.1", std::string(64, 'a')}) {
    ExpectRejected(with([&](auto& s) { s.set_bucket(bucket); }), "bucket name");
  }
  ExpectRejected(with([](auto& s) { s.set_region("EU West"); }), "region");
  ExpectRejected(with([](auto& s) { s.set_endpoint("s3.example.com"); }), "endpoint");
  ExpectRejected(with([](auto& s) { s.set_endpoint("https://s3.example.com/path"); }), "endpoint");
  ExpectRejected(with([](auto& s) { s.set_role_arn("role/dbdump"); }), "role ARN");
  ExpectRejected(with([](auto& s) { s.set_external_id("x"); }), "external id");
  ExpectRejected(with([](auto& s) { s.set_sse("DES"); }), "server-side encryption");
  ExpectRejected(with([](auto& s) { s.set_kms_key_id("k"); }), "KMS");
  ExpectRejected(with([](auto& s) { s.set_credentials_ref("AKIA123:secret"); }), "credentials reference");
  ExpectRejected(with([](auto& s) { s.set_part_size_bytes(1 << 20); }), "part size");
  ExpectRejected(with([](auto& s) { s.set_prefix("../x"); }), "prefix");
  ExpectRejected(with([](auto& s) { s.set_path("/srv"); }), "--path");
  ExpectRejected(with([](auto& s) { s.set_name("../x"); }), "storage name");
  v1::StorageDestination local;
  local.set_name("disk");
  local.set_kind(v1::STORAGE_KIND_LOCAL);
  local.set_path("/srv/../etc");
  ExpectRejected(local, "..");
  local.set_path("/srv");
  local.set_bucket("b-b-b");
  ExpectRejected(local, "--path only");
}

}  // namespace
}  // namespace dbdump
