#include "common/storage/s3_storage.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {

constexpr size_t kMaxPartBytes = size_t{5} << 30;  // S3's limit per part
// Parts stop growing at 1 GiB: memory stays (concurrency + 1) GiB at worst,
// while 10,000 parts still reach 6.8 TiB (S3 objects end at 5 TiB).
constexpr size_t kPartCapBytes = size_t{1} << 30;

// The committed object `key` carries the client's Object Lock, or an error
// says it does not. Servers that ignore the lock headers of
// CreateMultipartUpload get the retention set on the object afterwards.
absl::Status EnsureLocked(S3Client* client, const std::string& key) {
  const S3Options& o = client->options();
  S3Retention want{o.lock_mode, o.lock_retain_until};
  auto holds = [&](const S3Retention& r) {
    return r.mode == want.mode && r.retain_until >= absl::FromUnixSeconds(absl::ToUnixSeconds(want.retain_until));
  };
  ASSIGN_OR_RETURN(S3Retention got, client->GetRetention(key));
  if (holds(got)) return absl::OkStatus();
  LogInfo("s3", "the server did not lock ", key, " on upload; setting its retention");
  RETURN_IF_ERROR(client->PutRetention(key, want));
  ASSIGN_OR_RETURN(got, client->GetRetention(key));
  if (holds(got)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "s3://", o.bucket, "/", key, " is not locked after upload (the server reports mode \"",
      got.mode, "\"", got.retain_until == absl::InfinitePast() ? "" : " until " + S3LockDate(got.retain_until),
      "): the server ignores S3 Object Lock; use one that supports it or remove the storage's object lock"));
}

class S3Writer : public ObjectWriter {
 public:
  S3Writer(S3Client* client, std::string key, S3StorageOptions options)
      : client_(client), key_(std::move(key)), options_(options) {
    buffer_.reserve(S3Storage::PartSize(options_.part_size_bytes, 1, options_.max_parts));
  }
  ~S3Writer() override { Abort(); }

  absl::Status Write(const char* data, size_t n) override {
    RETURN_IF_ERROR(Failed());
    if (next_part_ > options_.max_parts) {
      return absl::ResourceExhaustedError("object exceeds the server's multipart limits");
    }
    total_ += n;
    while (n > 0) {
      size_t target = S3Storage::PartSize(options_.part_size_bytes, next_part_, options_.max_parts);
      size_t take = std::min(n, target - buffer_.size());
      buffer_.append(data, take);
      data += take;
      n -= take;
      if (buffer_.size() == target) RETURN_IF_ERROR(SubmitPart());
    }
    return absl::OkStatus();
  }

  absl::Status Finish() override {
    if (done_) return absl::FailedPreconditionError("writer is closed");
    RETURN_IF_ERROR(Failed());
    if (upload_id_.empty()) {
      // Everything fit in one part: one PUT.
      absl::Status st = client_->PutObject(key_, buffer_.data(), buffer_.size()).status();
      if (st.ok() && !client_->options().lock_mode.empty()) st = EnsureLocked(client_, key_);
      done_ = st.ok();
      return st;
    }
    if (!buffer_.empty()) RETURN_IF_ERROR(SubmitPart());
    absl::Status st = WaitAll();
    if (st.ok()) {
      std::vector<S3Part> parts;
      for (const auto& [number, etag] : etags_) parts.push_back({number, etag});
      st = client_->CompleteMultipartUpload(key_, upload_id_, parts);
      if (absl::IsNotFound(st)) {
        // A retried Complete whose first attempt did succeed (but whose answer
        // was lost) finds the upload gone: the object is there if it has
        // exactly the bytes we sent.
        absl::StatusOr<uint64_t> size = client_->HeadObject(key_);
        if (size.ok() && *size == total_) st = absl::OkStatus();
      }
    }
    if (!st.ok()) {
      Abort();
      return st;
    }
    StopWorkers();
    done_ = true;
    if (!client_->options().lock_mode.empty()) return EnsureLocked(client_, key_);
    return absl::OkStatus();
  }

  void Abort() override {
    if (done_) return;
    done_ = true;
    StopWorkers();
    if (!upload_id_.empty()) {
      absl::Status st = client_->AbortMultipartUpload(key_, upload_id_);
      if (!st.ok()) LogWarn("s3", "abort of upload for ", key_, " failed: ", st.message());
    }
  }

 private:
  struct Part {
    int number;
    std::string data;
  };

  absl::Status Failed() {
    absl::MutexLock l(&mu_);
    return error_;
  }

  absl::Status SubmitPart() {
    if (upload_id_.empty()) {
      ASSIGN_OR_RETURN(upload_id_, client_->CreateMultipartUpload(key_));
      for (int i = 0; i < std::max(1, options_.upload_concurrency); ++i) {
        workers_.emplace_back([this] { Work(); });
      }
    }
    Part p{next_part_++, std::move(buffer_)};
    buffer_ = std::string();
    buffer_.reserve(std::min(S3Storage::PartSize(options_.part_size_bytes, next_part_, options_.max_parts), kMaxPartBytes));
    absl::MutexLock l(&mu_);
    // Backpressure: at most `concurrency` parts queued or uploading.
    mu_.Await(absl::Condition(+[](S3Writer* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return w->pending_ < std::max(1, w->options_.upload_concurrency) || !w->error_.ok();
    }, this));
    if (!error_.ok()) return error_;
    queue_.push_back(std::move(p));
    ++pending_;
    return absl::OkStatus();
  }

  void Work() {
    while (true) {
      Part p;
      {
        absl::MutexLock l(&mu_);
        mu_.Await(absl::Condition(+[](S3Writer* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return !w->queue_.empty() || w->stop_;
        }, this));
        if (queue_.empty()) return;
        p = std::move(queue_.front());
        queue_.pop_front();
      }
      absl::StatusOr<std::string> etag = error_ok() ? client_->UploadPart(key_, upload_id_, p.number,
                                                                          p.data.data(), p.data.size())
                                                    : absl::StatusOr<std::string>(absl::AbortedError("stopped"));
      absl::MutexLock l(&mu_);
      --pending_;
      if (etag.ok()) {
        etags_[p.number] = *etag;
      } else if (error_.ok()) {
        error_ = etag.status();
      }
    }
  }

  bool error_ok() {
    absl::MutexLock l(&mu_);
    return error_.ok();
  }

  absl::Status WaitAll() {
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(+[](S3Writer* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return w->pending_ == 0;
    }, this));
    return error_;
  }

  void StopWorkers() {
    {
      absl::MutexLock l(&mu_);
      stop_ = true;
      if (error_.ok()) error_ = absl::AbortedError("upload stopped");
      pending_ -= static_cast<int>(queue_.size());
      queue_.clear();
    }
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  S3Client* client_;
  const std::string key_;
  const S3StorageOptions options_;
  std::string buffer_;
  uint64_t total_ = 0;
  int next_part_ = 1;
  std::string upload_id_;
  bool done_ = false;
  std::vector<std::thread> workers_;
  absl::Mutex mu_;
  std::deque<Part> queue_ ABSL_GUARDED_BY(mu_);
  int pending_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  std::map<int, std::string> etags_ ABSL_GUARDED_BY(mu_);
};

// Downloads ranges ahead of the reader, in order, `concurrency` at a time.
class S3Reader : public ObjectReader {
 public:
  S3Reader(S3Client* client, std::string key, uint64_t size, S3StorageOptions options)
      : client_(client), key_(std::move(key)), size_(size), options_(options) {}
  ~S3Reader() override {
    for (auto& f : inflight_) f.wait();
  }

  absl::StatusOr<size_t> Read(char* data, size_t n) override {
    if (pos_ == current_.size()) {
      Fill();
      if (inflight_.empty()) return 0;
      absl::StatusOr<std::string> chunk = inflight_.front().get();
      inflight_.pop_front();
      if (!chunk.ok()) return chunk.status();
      current_ = *std::move(chunk);
      pos_ = 0;
      Fill();
    }
    size_t k = std::min(n, current_.size() - pos_);
    memcpy(data, current_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  void Fill() {
    while (static_cast<int>(inflight_.size()) < std::max(1, options_.download_concurrency) &&
           next_offset_ < size_) {
      uint64_t offset = next_offset_;
      uint64_t len = std::min<uint64_t>(options_.download_chunk_bytes, size_ - offset);
      next_offset_ += len;
      inflight_.push_back(std::async(std::launch::async, [this, offset, len]() -> absl::StatusOr<std::string> {
        std::string out;
        RETURN_IF_ERROR(client_->GetObjectRange(key_, offset, len, &out));
        return out;
      }));
    }
  }

  S3Client* client_;
  const std::string key_;
  const uint64_t size_;
  const S3StorageOptions options_;
  uint64_t next_offset_ = 0;
  std::deque<std::future<absl::StatusOr<std::string>>> inflight_;
  std::string current_;
  size_t pos_ = 0;
};

}  // namespace

size_t S3Storage::PartSize(size_t first, int n, int max_parts) {
  int doublings = (n - 1) / std::max(1, max_parts / 20);
  size_t size = first;
  for (int i = 0; i < doublings && size < kPartCapBytes; ++i) size *= 2;
  return std::max(first, std::min(size, kPartCapBytes));
}

absl::StatusOr<std::unique_ptr<ObjectWriter>> S3Storage::NewWriter(const std::string& key) {
  RETURN_IF_ERROR(ValidateObjectKey(key));
  if (options_.part_size_bytes < (5u << 20)) {
    return absl::InvalidArgumentError("S3 part size must be at least 5 MiB");
  }
  return std::unique_ptr<ObjectWriter>(new S3Writer(client_.get(), key, options_));
}

absl::StatusOr<std::unique_ptr<ObjectReader>> S3Storage::NewReader(const std::string& key) {
  RETURN_IF_ERROR(ValidateObjectKey(key));
  ASSIGN_OR_RETURN(uint64_t size, client_->HeadObject(key));
  return std::unique_ptr<ObjectReader>(new S3Reader(client_.get(), key, size, options_));
}

absl::StatusOr<ObjectInfo> S3Storage::Stat(const std::string& key) {
  RETURN_IF_ERROR(ValidateObjectKey(key));
  ASSIGN_OR_RETURN(uint64_t size, client_->HeadObject(key));
  return ObjectInfo{key, size};
}

absl::StatusOr<std::vector<ObjectInfo>> S3Storage::List(const std::string& prefix) {
  ASSIGN_OR_RETURN(std::vector<S3Object> objects, client_->ListObjects(prefix));
  std::vector<ObjectInfo> out;
  for (auto& o : objects) {
    ObjectInfo info{o.key, o.size};
    info.modified = o.last_modified;
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

absl::Status S3Storage::Remove(const std::string& key) {
  RETURN_IF_ERROR(ValidateObjectKey(key));
  if (!options_.delete_all_versions) return client_->DeleteObject(key);
  ASSIGN_OR_RETURN(std::vector<S3ObjectVersion> versions, client_->ListObjectVersions(key));
  // Objects first: while one is locked, its delete markers stay too and the
  // listing shows nothing new.
  std::stable_partition(versions.begin(), versions.end(),
                        [](const S3ObjectVersion& v) { return !v.delete_marker; });
  for (const S3ObjectVersion& v : versions) {
    if (v.key != key) continue;  // a longer key with this one as prefix
    absl::Status st = client_->DeleteObjectVersion(key, v.version_id);
    if (absl::IsPermissionDenied(st) && !v.delete_marker) {
      absl::StatusOr<S3Retention> r = client_->GetRetention(key);
      if (r.ok() && !r->mode.empty()) {
        return absl::PermissionDeniedError(absl::StrCat(
            "the server refused to delete s3://", client_->options().bucket, "/", key,
            ": S3 Object Lock keeps it (", r->mode, " until ", S3LockDate(r->retain_until),
            "); it can be deleted once that date has passed"));
      }
      return absl::PermissionDeniedError(absl::StrCat(
          st.message(), "; deleting a version needs s3:DeleteObjectVersion, and S3 Object Lock "
          "refuses it until the version's retention date"));
    }
    RETURN_IF_ERROR(st);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<IncompleteWrite>> S3Storage::ListIncomplete(const std::string& prefix) {
  ASSIGN_OR_RETURN(std::vector<S3Upload> uploads, client_->ListMultipartUploads(prefix));
  std::vector<IncompleteWrite> out;
  for (S3Upload& u : uploads) {
    IncompleteWrite w;
    w.key = std::move(u.key);
    w.id = std::move(u.upload_id);
    w.started = u.initiated;
    out.push_back(std::move(w));
  }
  std::sort(out.begin(), out.end(), [](const IncompleteWrite& a, const IncompleteWrite& b) {
    return a.key != b.key ? a.key < b.key : a.id < b.id;
  });
  return out;
}

absl::Status S3Storage::AbortIncomplete(const IncompleteWrite& write) {
  RETURN_IF_ERROR(ValidateObjectKey(write.key));
  if (write.id.empty()) return absl::InvalidArgumentError("no upload id to abort");
  return client_->AbortMultipartUpload(write.key, write.id);
}

}  // namespace dbdump
