#include "controller/cli/commands/backup_download.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/io/fd_io.h"
#include "common/io/sha256_filter.h"
#include "common/s3/http_client.h"
#include "common/s3/xml_document.h"
#include "controller/cli/args/cli_error.h"
#include "controller/cli/args/value_checks.h"
#include "controller/cli/client/controller_client.h"
#include "controller/cli/commands/command_context.h"
#include "controller/cli/output/formatting.h"
#include "controller/cli/output/progress_bar.h"

namespace dbdump {
namespace {

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::FailedPreconditionError(absl::StrCat("cannot ", what, " ", path, ": ",
                                                    std::strerror(errno)));
}

// FILE.part while it is written: created 0600, hashed as it is written,
// removed unless Commit() renamed it to FILE.
class PartFile {
 public:
  static absl::StatusOr<std::unique_ptr<PartFile>> Create(const std::string& path) {
    std::string part = path + ".part";
    int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return Errno("create", part);
    return std::unique_ptr<PartFile>(new PartFile(path, std::move(part), fd));
  }
  ~PartFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(part_.c_str());
  }

  absl::Status Write(const char* data, size_t n) { return hash_.Write(data, n); }
  uint64_t bytes() const { return hash_.bytes(); }
  const std::string& part() const { return part_; }

  // Finishes the file; its content must have `sha256`, else it is removed.
  absl::Status Commit(const std::string& sha256, const std::string& what) {
    RETURN_IF_ERROR(hash_.Finish());
    if (hash_.hex_digest() != sha256) {
      return absl::DataLossError(absl::StrCat(
          what, ": the ", hash_.bytes(), " bytes received have sha256 ", hash_.hex_digest(),
          ", the manifest says ", sha256, "; the download was removed: verify the backup (dbdumpctl "
          "backup verify) and try again"));
    }
    if (::fsync(fd_) != 0) return Errno("write", part_);
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return Errno("write", part_);
    if (::rename(part_.c_str(), path_.c_str()) != 0) return Errno("rename to", path_);
    committed_ = true;
    return absl::OkStatus();
  }

 private:
  PartFile(std::string path, std::string part, int fd)
      : path_(std::move(path)), part_(std::move(part)), fd_(fd), sink_(fd, false),
        hash_(&sink_) {}

  const std::string path_;
  const std::string part_;
  int fd_;
  FdSink sink_;
  Sha256Filter hash_;
  bool committed_ = false;
};

// The one place a download's progress is shown, on stderr.
class DownloadProgress {
 public:
  explicit DownloadProgress(CommandContext& context) {
    ProgressBar::Options options;
    options.out = &context.err();
    options.terminal = context.options().stderr_is_tty;
    options.columns = context.options().terminal_columns;
    options.now = context.options().now;
    bar_ = std::make_unique<ProgressBar>(options);
  }
  void Show(const char* state, uint64_t done, uint64_t total) {
    ProgressBar::Progress p;
    p.state = state;
    p.done_bytes = done;
    p.total_bytes = total;
    bar_->Update(p);
  }
  void Finish() { bar_->Finish(); }

 private:
  std::unique_ptr<ProgressBar> bar_;
};

// GETs the presigned URL into `file`. The URL is never printed: it grants
// access to the object until it expires.
absl::Status FetchPresigned(const v1::FileHeader& header, const std::string& ca_file,
                            PartFile* file, DownloadProgress* progress) {
  HttpOptions options;
  options.ca_file = ca_file;
  HttpClient http(options);
  HttpRequest req;
  req.method = "GET";
  req.url = header.redirect_url();
  req.on_body = [&](const char* data, size_t n) {
    RETURN_IF_ERROR(file->Write(data, n));
    progress->Show("downloading", file->bytes(), header.size_bytes());
    return absl::OkStatus();
  };
  HttpResponse resp;
  RETURN_IF_ERROR_PREPEND(http.Send(req, &resp), "fetching from object storage: ");
  if (resp.status >= 200 && resp.status < 300) return absl::OkStatus();
  XmlDocument answer(resp.body);
  std::string code = answer.Value("Code");
  std::string detail = code.empty() ? absl::StrCat("HTTP ", resp.status)
                                    : absl::StrCat(code, " (HTTP ", resp.status, ")");
  if (resp.status == 403) {
    return absl::PermissionDeniedError(absl::StrCat(
        "object storage refused the presigned URL: ", detail,
        "; it may have expired (at ", header.expires_at(), "): download again"));
  }
  return absl::UnavailableError(absl::StrCat("object storage answered ", detail));
}

absl::Status BackupDownload(CommandContext& context, const ParsedArgs& args) {
  v1::DownloadBackupRequest req;
  req.set_id(args.positionals()[0]);
  RETURN_IF_ERROR(CheckId("backup id", req.id()));
  req.set_object(args.Get("object"));
  if (args.Has("from-storage")) {
    req.set_from_storage(args.Get("from-storage"));
    RETURN_IF_ERROR(CheckName("storage name", req.from_storage()));
  }
  ASSIGN_OR_RETURN(uint32_t ttl, args.GetUint32("presign-ttl", 0, 1, 3600));
  req.set_presign_ttl_s(ttl);
  const std::string path = args.Get("output-file");
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !args.Has("force")) {
    return absl::AlreadyExistsError(
        absl::StrCat(path, " exists; pass --force to replace it"));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<PartFile> file, PartFile::Create(path));
  DownloadProgress progress(context);
  v1::FileHeader header;
  bool have_header = false;
  absl::Status streamed = context.client().DownloadBackup(
      req, [&](const v1::DownloadBackupResponse& m) -> absl::Status {
        if (m.has_header()) {
          if (have_header) return absl::InternalError("the controller sent a second header");
          header = m.header();
          have_header = true;
          progress.Show(header.redirect_url().empty() ? "downloading" : "redirected", 0,
                        header.size_bytes());
          return absl::OkStatus();
        }
        if (!have_header) return absl::InternalError("the controller sent data before the header");
        RETURN_IF_ERROR(file->Write(m.data().data(), m.data().size()));
        progress.Show("downloading", file->bytes(), header.size_bytes());
        return absl::OkStatus();
      });
  if (streamed.ok() && !have_header) {
    streamed = absl::InternalError("the controller ended the download without a header");
  }
  if (streamed.ok() && !header.redirect_url().empty()) {
    streamed = FetchPresigned(header, args.Get("s3-ca-file"), file.get(), &progress);
  }
  if (streamed.ok()) streamed = file->Commit(header.stored_sha256(), header.file_name());
  // A download refused before it began has no progress to end.
  if (have_header) {
    progress.Show(streamed.ok() ? "downloaded" : "failed", file->bytes(), header.size_bytes());
    progress.Finish();
  }
  RETURN_IF_ERROR(streamed);
  if (context.json()) {
    v1::FileHeader saved = header;
    saved.clear_redirect_url();  // a credential until it expires
    return context.PrintJson(saved);
  }
  context.out() << "downloaded " << header.file_name() << " to " << path << ": "
                << ExactBytes(file->bytes()) << ", sha256 " << header.stored_sha256()
                << " as in the manifest\n";
  return absl::OkStatus();
}

}  // namespace

VerbSpec BackupDownloadVerb() {
  VerbSpec download;
  download.noun = "backup";
  download.verb = "download";
  download.positionals = {"BACKUP_ID"};
  FlagSpec output = ValueFlag("output-file", "FILE", /*required=*/true);
  output.short_name = 'o';
  download.flags = {output, ValueFlag("object", "NAME"), ValueFlag("from-storage", "STORAGE"),
                    SwitchFlag("force"),
                    ValueFlag("presign-ttl", "SECONDS"), ValueFlag("s3-ca-file", "PATH")};
  download.forms = {
      "-o FILE|{output-file} {object} {from-storage} {force}\n{presign-ttl} {s3-ca-file}"};
  download.run = BackupDownload;
  return download;
}

}  // namespace dbdump
