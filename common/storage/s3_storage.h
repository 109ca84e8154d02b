// S3Storage: the Storage interface on an S3 bucket.
#pragma once

#include <memory>
#include <string>

#include "common/s3/s3_client.h"
#include "common/storage/storage.h"

namespace dbdump {

struct S3StorageOptions {
  // First part size; parts double every max_parts/20 parts up to 1 GiB, so
  // the server's part limit holds any object it accepts, whatever the stream
  // length (8 MiB first parts and 10,000 parts: 6.8 TiB; memory at most
  // (concurrency + 1) x 1 GiB, reached only past 3.5 TiB).
  size_t part_size_bytes = 8 << 20;
  int max_parts = 10000;
  // Parts in flight at once. Writer memory <= (concurrency + 1) x part size.
  int upload_concurrency = 3;
  size_t download_chunk_bytes = 8 << 20;
  int download_concurrency = 4;
  // Remove() deletes every version of the key (and its delete markers)
  // instead of sending a plain DELETE, which in a versioned bucket (every
  // Object Lock bucket is one) only hides the object behind a delete marker
  // and keeps paying for it.
  bool delete_all_versions = false;
};

// Thread-safe; its writers and readers are not. A writer sends a small object
// as one PUT and starts a multipart upload only once the first part is full;
// each body carries Content-MD5 and a signed SHA-256 so the server rejects
// corruption; failure or destruction before Finish() aborts the upload.
// When the client locks uploads (S3Options::lock_mode), Finish() also checks
// that the committed object carries the lock, setting it with
// PutObjectRetention where the server ignored the upload's lock headers,
// and fails when the server does not lock at all.
class S3Storage : public Storage {
 public:
  S3Storage(std::shared_ptr<S3Client> client, S3StorageOptions options)
      : client_(std::move(client)), options_(options) {}

  absl::StatusOr<std::unique_ptr<ObjectWriter>> NewWriter(const std::string& key) override;
  absl::StatusOr<std::unique_ptr<ObjectReader>> NewReader(const std::string& key) override;
  absl::StatusOr<ObjectInfo> Stat(const std::string& key) override;
  absl::StatusOr<std::vector<ObjectInfo>> List(const std::string& prefix) override;
  absl::Status Remove(const std::string& key) override;
  absl::StatusOr<std::vector<IncompleteWrite>> ListIncomplete(const std::string& prefix) override;
  absl::Status AbortIncomplete(const IncompleteWrite& write) override;

  S3Client* client() { return client_.get(); }
  // Size of part number `n` (1-based) for a given first part size and limit.
  static size_t PartSize(size_t first, int n, int max_parts);

 private:
  std::shared_ptr<S3Client> client_;
  S3StorageOptions options_;
};

}  // namespace dbdump
