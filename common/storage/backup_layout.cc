#include "common/storage/backup_layout.h"

#include <google/protobuf/util/json_util.h>

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/storage/local_storage.h"
#include "common/storage/object_lock.h"
#include "common/storage/s3_storage.h"
#include "common/s3/credential_chain.h"
#include "common/s3/sts_credentials_provider.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {
constexpr size_t kMaxManifestBytes = 1 << 20;
constexpr absl::string_view kManifestName = "manifest.json";
}  // namespace

std::string BackupDir(const std::string& prefix, const std::string& database,
                      const std::string& backup_id) {
  std::string dir = absl::StrCat(database, "/", backup_id);
  return prefix.empty() ? dir : absl::StrCat(prefix, "/", dir);
}

std::string ManifestKey(const std::string& prefix, const std::string& database,
                        const std::string& backup_id) {
  return absl::StrCat(BackupDir(prefix, database, backup_id), "/", kManifestName);
}

std::string ManifestToJson(const v1::Manifest& manifest) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  std::string out;
  // Printing fails only for an Any whose type cannot be resolved; Manifest
  // has no Any field, so this cannot fail.
  (void)google::protobuf::util::MessageToJsonString(manifest, &out, opts);
  return out;
}

absl::StatusOr<v1::Manifest> ManifestFromJson(const std::string& json) {
  v1::Manifest m;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;  // newer writers may add fields
  auto st = google::protobuf::util::JsonStringToMessage(json, &m, opts);
  if (!st.ok()) {
    return absl::DataLossError(absl::StrCat("manifest is not valid: ", st.ToString()));
  }
  if (m.backup_id().empty() || m.dump_object().empty() || m.stored_sha256().size() != 64) {
    return absl::DataLossError("manifest is incomplete: backup_id, dump_object or stored_sha256 missing");
  }
  return m;
}

absl::StatusOr<v1::Manifest> ReadManifest(Storage* storage, const std::string& prefix,
                                          const std::string& database,
                                          const std::string& backup_id) {
  std::string key = ManifestKey(prefix, database, backup_id);
  auto json = ReadSmallObject(storage, key, kMaxManifestBytes);
  if (absl::IsNotFound(json.status())) {
    return absl::NotFoundError(absl::StrCat("backup ", backup_id, " of ", database,
                                            " has no manifest in storage: it is not a "
                                            "complete backup"));
  }
  RETURN_IF_ERROR(json.status());
  return ManifestFromJson(*json);
}

absl::StatusOr<std::vector<v1::Manifest>> ListManifests(Storage* storage,
                                                       const std::string& prefix,
                                                       const std::string& database,
                                                       std::vector<std::string>* problems) {
  std::string list_prefix = prefix.empty() ? "" : absl::StrCat(prefix, "/");
  if (!database.empty()) absl::StrAppend(&list_prefix, database, "/");
  ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, storage->List(list_prefix));
  std::vector<v1::Manifest> out;
  for (const ObjectInfo& o : objects) {
    if (!absl::EndsWith(o.key, absl::StrCat("/", kManifestName))) continue;
    auto json = ReadSmallObject(storage, o.key, kMaxManifestBytes);
    absl::StatusOr<v1::Manifest> m =
        json.ok() ? ManifestFromJson(*json) : absl::StatusOr<v1::Manifest>(json.status());
    if (!m.ok()) {
      if (problems) problems->push_back(absl::StrCat(o.key, ": ", m.status().message()));
      continue;
    }
    out.push_back(*std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const v1::Manifest& a, const v1::Manifest& b) {
    return a.backup_id() < b.backup_id();
  });
  return out;
}

namespace {

// Regions learned from the server, by endpoint and bucket: a bucket does not
// move, and every job would otherwise ask again.
absl::Mutex region_mu(absl::kConstInit);
std::map<std::string, std::string>& DiscoveredRegions() {
  static auto* regions = new std::map<std::string, std::string>();
  return *regions;
}

// The bucket's region when neither the storage nor the environment names one.
// A wrong guess would sign for the wrong region and every request would fail
// with a puzzling error, so ask: S3 names the region in x-amz-bucket-region
// even when it refuses the request.
absl::StatusOr<std::string> DiscoverRegion(const S3Options& base,
                                           std::shared_ptr<CredentialsProvider> creds) {
  std::string key = absl::StrCat(base.endpoint, "|", base.bucket);
  {
    absl::MutexLock l(&region_mu);
    auto it = DiscoveredRegions().find(key);
    if (it != DiscoveredRegions().end()) return it->second;
  }
  S3Options probe = base;
  probe.region = "us-east-1";  // S3's answer names the right one whatever we sign for
  absl::StatusOr<std::string> region = S3Client(probe, std::move(creds)).BucketRegion();
  if (region.ok()) {
    LogInfo("s3", "bucket ", base.bucket, " is in region ", *region,
            " (asked the server: neither the storage, AWS_REGION, AWS_DEFAULT_REGION nor the profile "
            "names one)");
    absl::MutexLock l(&region_mu);
    DiscoveredRegions()[key] = *region;
    return *region;
  }
  if (absl::IsNotFound(region.status())) {
    // S3-compatible servers often do not say, and need no particular region.
    LogInfo("s3", "bucket ", base.bucket, ": the server names no region; signing for us-east-1");
    return std::string("us-east-1");
  }
  if (absl::IsUnavailable(region.status())) {
    // An unreachable server fails the requests themselves more clearly.
    LogWarn("s3", "bucket ", base.bucket, ": no region given and none learned (",
            region.status().message(), "); signing for us-east-1. Set the storage's region "
            "(--region) or AWS_REGION to be sure");
    return std::string("us-east-1");
  }
  return region.status();  // the credentials themselves failed
}

}  // namespace

absl::StatusOr<std::unique_ptr<S3Storage>> OpenS3Storage(const v1::StorageDestination& dest,
                                                          absl::Time lock_retain_until) {
  RETURN_IF_ERROR(ValidateBucketName(dest.bucket()));
  // What the storage leaves open, the environment and shared config decide.
  AwsDefaults env = LoadAwsDefaults(dest.profile());
  std::string region = !dest.region().empty() ? dest.region() : env.region;
  std::string endpoint = !dest.endpoint().empty() ? dest.endpoint() : env.s3_endpoint;
  HttpOptions http;
  http.ca_file = !dest.ca_file().empty() ? dest.ca_file() : env.ca_bundle;
  std::shared_ptr<CredentialsProvider> creds;
  if (!dest.credentials_ref().empty()) {
    ASSIGN_OR_RETURN(AwsCredentials base, ResolveCredentials(dest.credentials_ref()));
    creds = std::make_shared<StaticCredentialsProvider>(base);
  } else {
    ChainOptions chain;
    chain.profile = dest.profile();
    chain.region = region;
    creds = std::make_shared<CredentialChain>(chain);
  }
  if (!dest.role_arn().empty()) {
    AssumeRoleOptions ar;
    ar.endpoint = !dest.sts_endpoint().empty() ? dest.sts_endpoint()
                  : !dest.endpoint().empty()   ? dest.endpoint()
                                               : env.sts_endpoint;
    ar.region = region.empty() ? "us-east-1" : region;
    ar.role_arn = dest.role_arn();
    ar.external_id = dest.external_id();
    ar.session_name = absl::StrCat("dbdump-", dest.name().empty() ? "storage" : dest.name());
    ar.http = http;
    // The chain's identity (instance role, IRSA, ...) assumes the storage's role.
    creds = std::make_shared<StsCredentialsProvider>(ar, creds);
  }
  S3Options o;
  o.endpoint = endpoint;
  o.bucket = dest.bucket();
  o.path_style = dest.path_style();
  o.http = http;
  o.sse = dest.sse();
  o.kms_key_id = dest.kms_key_id();
  o.storage_class = dest.storage_class();
  if (HasObjectLock(dest) && lock_retain_until != absl::InfinitePast()) {
    o.lock_mode = S3LockModeName(dest.object_lock().mode());
    o.lock_retain_until = lock_retain_until;
  }
  if (region.empty()) {
    ASSIGN_OR_RETURN(region, DiscoverRegion(o, creds));
  }
  o.region = region;
  if (!o.path_style && EndpointIsIpAddress(o.endpoint)) {
    LogInfo("s3", "storage ", dest.name(), ": endpoint ", o.endpoint,
            " is an IP address; addressing the bucket path-style");
  }
  S3StorageOptions so;
  if (dest.part_size_bytes() > 0) so.part_size_bytes = dest.part_size_bytes();
  if (dest.upload_concurrency() > 0) so.upload_concurrency = static_cast<int>(dest.upload_concurrency());
  if (dest.max_parts() > 0) so.max_parts = static_cast<int>(dest.max_parts());
  // Object Lock buckets are versioned: a plain DELETE would only hide.
  so.delete_all_versions = HasObjectLock(dest);
  return std::make_unique<S3Storage>(std::make_shared<S3Client>(o, creds), so);
}

absl::StatusOr<std::unique_ptr<Storage>> OpenStorage(const v1::StorageDestination& dest,
                                                     absl::Time lock_retain_until) {
  switch (dest.kind()) {
    case v1::STORAGE_KIND_LOCAL: {
      ASSIGN_OR_RETURN(std::unique_ptr<LocalStorage> s, LocalStorage::Open(dest.path()));
      return std::unique_ptr<Storage>(std::move(s));
    }
    case v1::STORAGE_KIND_S3:
      return OpenS3Storage(dest, lock_retain_until);
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "storage \"", dest.name(), "\" has an unsupported kind: use local or s3"));
  }
}

}  // namespace dbdump
