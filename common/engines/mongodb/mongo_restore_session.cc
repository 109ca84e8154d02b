#include "common/engines/mongodb/mongo_restore_session.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace mongo {
namespace {

absl::Status CheckArchive(const MongoArchivePrelude& p, const ArchiveExpectation& want) {
  for (const MongoArchivePrelude::Namespace& ns : p.namespaces()) {
    if (!want.source_dbs.empty()) {
      if (want.source_dbs.count(ns.db) == 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the archive holds database \"", absl::CHexEscape(ns.db),
            "\", which the backup's manifest does not list: nothing was restored; check that "
            "the manifest belongs to this backup"));
      }
    } else if (!want.target_db.empty() && ns.db != want.target_db) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the archive holds database \"", absl::CHexEscape(ns.db),
          "\" but the backup's manifest lists no collections, so it cannot be renamed into \"",
          absl::CHexEscape(want.target_db),
          "\": nothing was restored; restore into a target without a database name"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status MongoRestoreSession::Finish() {
  RETURN_IF_ERROR(tool_->Finish());
  if (dry_run_) return absl::OkStatus();
  // With --stopOnError a failed insert fails the run; this catches a tool
  // that reports failed documents and still exits 0.
  std::string tail = process_->StderrTail();
  size_t at = tail.rfind(" document(s) failed to restore");
  if (at != std::string::npos) {
    size_t start = at;
    while (start > 0 && absl::ascii_isdigit(static_cast<unsigned char>(tail[start - 1]))) {
      --start;
    }
    int64_t failed = 0;
    if (absl::SimpleAtoi(tail.substr(start, at - start), &failed) && failed > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "mongorestore into ", desc_, " could not restore ", failed,
          " documents: see the agent log, or restore with clean"));
    }
  }
  return absl::OkStatus();
}

std::string MongoRestoreSession::summary() const {
  if (!dry_run_) return "";
  std::set<std::string> dbs;
  for (const auto& ns : prelude_.namespaces()) dbs.insert(ns.db);
  size_t n = prelude_.namespaces().size();
  return absl::StrCat("mongorestore --dryRun accepted the archive: ", n, " collection",
                      n == 1 ? "" : "s", dbs.empty() ? "" : " in ", absl::StrJoin(dbs, ", "));
}

absl::Status MongoRestoreSession::Gate::Write(const char* data, size_t n) {
  if (released_) return Forward(data, n);
  s_->prelude_.Feed(data, n);
  held_.append(data, n);
  switch (s_->prelude_.state()) {
    case MongoArchivePrelude::State::kReading:
      return absl::OkStatus();
    case MongoArchivePrelude::State::kNotAnArchive:
      return absl::DataLossError(absl::StrCat("the backup is not a mongodump archive (",
                                              s_->prelude_.problem(),
                                              "): nothing was restored"));
    case MongoArchivePrelude::State::kTooLarge:
      return absl::FailedPreconditionError(
          "the archive's prelude is larger than the 64 MiB the agent checks before a "
          "restore: nothing was restored");
    case MongoArchivePrelude::State::kComplete:
      break;
  }
  RETURN_IF_ERROR(CheckArchive(s_->prelude_, s_->want_));
  released_ = true;
  std::string held = std::move(held_);
  held_.clear();
  return Forward(held.data(), held.size());
}

absl::Status MongoRestoreSession::Gate::Finish() {
  if (!released_) {
    return absl::DataLossError(
        "the backup ends inside the mongodump archive prelude: nothing was restored");
  }
  return s_->tool_->sink()->Finish();
}

absl::Status MongoRestoreSession::Gate::Forward(const char* data, size_t n) {
  if (tool_stopped_) return absl::OkStatus();
  absl::Status st = s_->tool_->sink()->Write(data, n);
  if (!st.ok() && s_->dry_run_) {
    tool_stopped_ = true;
    return absl::OkStatus();
  }
  return st;
}

}  // namespace mongo
}  // namespace dbdump
