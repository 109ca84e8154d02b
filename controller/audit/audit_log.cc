// AuditLog: appends to the hash-chained audit log and its mirror file, and
// verifies both.
#include "controller/audit/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "controller/audit/audit_hash.h"

namespace dbdump {
namespace {

using Problem = AuditLog::Problem;

// Entries read from the store per page while verifying.
constexpr int kPageSize = 500;

constexpr const char* kStringFields[] = {"at",      "actor",  "peer",      "rpc", "target",
                                         "outcome", "detail", "prev_hash", "hash"};

// The fields in which `a` and `b` differ, by their JSON names.
std::vector<std::string> DifferentFields(const AuditEntry& a, const AuditEntry& b) {
  std::vector<std::string> out;
  if (AuditTimeToString(a.at) != AuditTimeToString(b.at)) out.push_back("at");
  if (a.actor != b.actor) out.push_back("actor");
  if (a.peer != b.peer) out.push_back("peer");
  if (a.rpc != b.rpc) out.push_back("rpc");
  if (a.target != b.target) out.push_back("target");
  if (a.outcome != b.outcome) out.push_back("outcome");
  if (a.detail != b.detail) out.push_back("detail");
  if (a.prev_hash != b.prev_hash) out.push_back("prev_hash");
  if (a.hash != b.hash) out.push_back("hash");
  return out;
}

// The mirror's entries in file order, up to the size it had when
// verification began (lines appended since are not checked).
class MirrorReader {
 public:
  MirrorReader(const std::string& path, std::streamoff size) : in_(path), left_(size) {}
  bool is_open() const { return in_.is_open(); }
  // The next entry; nullopt at the end. Lines that are not entries, and
  // entries out of order, are reported and skipped.
  std::optional<AuditEntry> Next(std::vector<Problem>* problems) {
    std::string line;
    while (left_ > 0 && std::getline(in_, line)) {
      left_ -= static_cast<std::streamoff>(line.size()) + 1;
      ++line_no_;
      absl::StatusOr<AuditEntry> e = AuditEntryFromJson(line);
      if (!e.ok()) {
        problems->push_back(Problem{0, absl::StrCat("line ", line_no_,
                                                    " of the mirror is not an audit entry: ",
                                                    e.status().message())});
        continue;
      }
      if (e->seq <= last_seq_) {
        problems->push_back(Problem{
            e->seq, absl::StrCat("entry ", e->seq, " is out of order in the mirror (line ",
                                 line_no_, " follows entry ", last_seq_, ")")});
        continue;
      }
      last_seq_ = e->seq;
      return *std::move(e);
    }
    return std::nullopt;
  }

 private:
  std::ifstream in_;
  std::streamoff left_;
  int64_t line_no_ = 0;
  int64_t last_seq_ = 0;
};

// Checks one store entry against itself and the entry before it.
void CheckChain(const AuditEntry& e, int64_t prev_seq, const std::string& prev_hash,
                std::vector<Problem>* problems) {
  if (AuditEntryHash(e) != e.hash) {
    problems->push_back(Problem{
        e.seq, absl::StrCat("entry ", e.seq, " was changed: its contents do not match its hash")});
  }
  if (e.seq != prev_seq + 1) {
    std::string missing = e.seq == prev_seq + 2
                              ? absl::StrCat("entry ", prev_seq + 1, " is missing")
                              : absl::StrCat("entries ", prev_seq + 1, " to ", e.seq - 1,
                                             " are missing");
    std::string why = prev_seq == 0
                          ? absl::StrCat("the chain starts at entry ", e.seq)
                          : absl::StrCat("entry ", e.seq, " does not follow entry ", prev_seq);
    problems->push_back(Problem{prev_seq + 1, absl::StrCat(missing, ": ", why)});
    // With entries missing the link cannot match; that is said above.
    return;
  }
  if (e.prev_hash != prev_hash) {
    problems->push_back(Problem{
        e.seq, absl::StrCat("entry ", e.seq, " does not link to entry ", prev_seq,
                            ": its prev_hash is not that entry's hash (entry ", prev_seq,
                            " or this one was changed)")});
  }
}

// Compares the mirror's copy `m` of store entry `e`.
void CheckMirrored(const AuditEntry& e, const AuditEntry& m, std::vector<Problem>* problems) {
  std::vector<std::string> fields = DifferentFields(e, m);
  if (fields.empty()) return;
  std::string side = AuditEntryHash(m) != m.hash ? " in the mirror" : "";
  problems->push_back(Problem{
      e.seq, absl::StrCat("entry ", e.seq, " was changed", side,
                          ": the store and the mirror differ in ", absl::StrJoin(fields, ", "))});
}

void ReportDeleted(const AuditEntry& m, std::vector<Problem>* problems) {
  problems->push_back(Problem{
      m.seq, absl::StrCat("entry ", m.seq, " is in the mirror but not in the store (deleted)")});
}

}  // namespace

std::string AuditEntryToJson(const AuditEntry& e) {
  nlohmann::ordered_json j = {
      {"seq", e.seq},         {"at", AuditTimeToString(e.at)}, {"actor", e.actor},
      {"peer", e.peer},       {"rpc", e.rpc},                  {"target", e.target},
      {"outcome", e.outcome}, {"detail", e.detail},            {"prev_hash", e.prev_hash},
      {"hash", e.hash},
  };
  // Callers pass UTF-8; anything else is replaced rather than thrown on,
  // and then shows up as a difference when verifying.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

absl::StatusOr<AuditEntry> AuditEntryFromJson(const std::string& line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return absl::InvalidArgumentError("not a JSON object");
  if (!j.contains("seq") || !j["seq"].is_number_integer()) {
    return absl::InvalidArgumentError("no integer seq");
  }
  for (const char* f : kStringFields) {
    if (!j.contains(f) || !j[f].is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("no string ", f));
    }
  }
  AuditEntry e;
  e.seq = j["seq"].get<int64_t>();
  e.at = AuditTimeFromString(j["at"].get<std::string>());
  e.actor = j["actor"].get<std::string>();
  e.peer = j["peer"].get<std::string>();
  e.rpc = j["rpc"].get<std::string>();
  e.target = j["target"].get<std::string>();
  e.outcome = j["outcome"].get<std::string>();
  e.detail = j["detail"].get<std::string>();
  e.prev_hash = j["prev_hash"].get<std::string>();
  e.hash = j["hash"].get<std::string>();
  return e;
}

AuditLog::AuditLog(Store* store, std::string mirror_path, Clock* clock)
    : store_(store), mirror_path_(std::move(mirror_path)), clock_(clock ? clock : DefaultClock()) {}

AuditLog::~AuditLog() {
  absl::MutexLock l(&mu_);
  if (mirror_fd_ >= 0) close(mirror_fd_);
}

absl::Status AuditLog::Open() {
  absl::MutexLock l(&mu_);
  if (mirror_path_.empty() || mirror_fd_ >= 0) return absl::OkStatus();
  int fd = open(mirror_path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot open the audit mirror ", mirror_path_, ": ", std::strerror(errno)));
  }
  struct stat st;
  if (fstat(fd, &st) == 0 && (st.st_mode & 0777) != 0600) {
    if (fchmod(fd, 0600) != 0) {
      int err = errno;
      close(fd);
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot restrict the audit mirror ", mirror_path_, " to 0600: ", std::strerror(err)));
    }
    LogWarn("audit", mirror_path_, " had mode ", absl::StrFormat("%04o", st.st_mode & 0777),
            "; changed it to 0600");
  }
  mirror_fd_ = fd;
  return absl::OkStatus();
}

absl::StatusOr<AuditEntry> AuditLog::Append(AuditEntry e) {
  absl::MutexLock l(&mu_);
  e.at = clock_->Now();
  ASSIGN_OR_RETURN(AuditEntry stored, store_->AppendAudit(std::move(e)));
  WriteMirror(stored);
  return stored;
}

void AuditLog::Record(AuditEntry e) {
  absl::StatusOr<AuditEntry> appended = Append(std::move(e));
  if (!appended.ok()) LogWarn("audit", "cannot append: ", appended.status().message());
}

void AuditLog::WriteMirror(const AuditEntry& e) {
  if (mirror_fd_ < 0) return;
  std::string line = AuditEntryToJson(e) + "\n";
  // One write(2) of the whole line (O_APPEND): nothing is buffered here.
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = write(mirror_fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      LogWarn("audit", "cannot write entry ", e.seq, " to the audit mirror ", mirror_path_, ": ",
              std::strerror(errno), "; the entry is in the store");
      return;
    }
    done += static_cast<size_t>(n);
  }
}

absl::StatusOr<AuditLog::VerifyReport> AuditLog::Verify() {
  // What to check, fixed under the append lock: the entries stored so far
  // and the mirror's lines written for them.
  int64_t last_seq = 0;
  std::streamoff mirror_size = -1;
  {
    absl::MutexLock l(&mu_);
    AuditFilter newest;
    newest.limit = 1;
    ASSIGN_OR_RETURN(std::vector<AuditEntry> top, store_->ListAudit(newest));
    if (!top.empty()) last_seq = top[0].seq;
    struct stat st;
    if (!mirror_path_.empty()) {
      if (stat(mirror_path_.c_str(), &st) == 0) {
        mirror_size = st.st_size;
      } else if (errno != ENOENT) {
        return absl::FailedPreconditionError(absl::StrCat(
            "cannot read the audit mirror ", mirror_path_, ": ", std::strerror(errno)));
      }
    }
  }
  VerifyReport r;
  std::optional<MirrorReader> mirror;
  if (mirror_size >= 0) {
    mirror.emplace(mirror_path_, mirror_size);
    if (!mirror->is_open()) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot read the audit mirror ", mirror_path_));
    }
  } else if (!mirror_path_.empty() && last_seq > 0) {
    r.problems.push_back(Problem{0, absl::StrCat("the audit mirror ", mirror_path_, " is missing")});
  }
  std::optional<AuditEntry> m = mirror ? mirror->Next(&r.problems) : std::nullopt;

  int64_t prev_seq = 0;
  std::string prev_hash;
  bool done = last_seq == 0;
  while (!done) {
    ASSIGN_OR_RETURN(std::vector<AuditEntry> page, store_->AuditChain(prev_seq + 1, kPageSize));
    if (page.size() < static_cast<size_t>(kPageSize)) done = true;
    for (const AuditEntry& e : page) {
      if (e.seq > last_seq) {
        done = true;
        break;
      }
      ++r.entries;
      CheckChain(e, prev_seq, prev_hash, &r.problems);
      for (; m && m->seq < e.seq; m = mirror->Next(&r.problems)) ReportDeleted(*m, &r.problems);
      if (m && m->seq == e.seq) {
        CheckMirrored(e, *m, &r.problems);
        m = mirror->Next(&r.problems);
      }
      prev_seq = e.seq;
      prev_hash = e.hash;
    }
  }
  // The mirror's entries after the store's last: removed from its end.
  for (; m; m = mirror->Next(&r.problems)) ReportDeleted(*m, &r.problems);
  return r;
}

}  // namespace dbdump
