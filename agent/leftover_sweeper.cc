#include "agent/leftover_sweeper.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/storage/backup_layout.h"

namespace dbdump {

LeftoverSweeper::LeftoverSweeper(WriteJournal* journal, JobRegistry* registry, Clock* clock)
    : journal_(journal), registry_(registry), clock_(clock ? clock : DefaultClock()) {}

LeftoverSweeper::~LeftoverSweeper() { Stop(); }

absl::Status LeftoverSweeper::Clean(const v1::WriteIntents& w, bool succeeded) {
  if (w.keys_size() > 0) {
    ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage, OpenStorage(w.storage()));
    if (!succeeded) {
      // The manifest first: once it is gone nothing here counts as a backup.
      std::string manifest = ManifestKey(w.storage().prefix(), w.database(), w.backup_id());
      for (const std::string& key : w.keys()) {
        if (key == manifest) RETURN_IF_ERROR(storage->Remove(key));
      }
      for (const std::string& key : w.keys()) {
        if (key != manifest) RETURN_IF_ERROR(storage->Remove(key));
      }
    }
    for (const std::string& key : w.keys()) {
      ASSIGN_OR_RETURN(int aborted, AbortIncompleteWritesOf(storage.get(), key));
      if (aborted > 0) {
        LogInfo("agent", "job ", w.job_id(), ": discarded ", aborted, " unfinished write",
                aborted == 1 ? "" : "s", " of ", key);
      }
    }
  }
  for (const std::string& path : w.local_files()) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return absl::InternalError(absl::StrCat("remove ", path, ": ", strerror(errno)));
    }
  }
  return journal_->Clear(w.job_id());
}

absl::Status LeftoverSweeper::CleanCopy(const v1::WriteIntents& w) {
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage, OpenStorage(w.storage()));
  absl::StatusOr<v1::Manifest> m =
      ReadManifest(storage.get(), w.storage().prefix(), w.database(), w.backup_id());
  if (!m.ok() && !absl::IsNotFound(m.status()) && !absl::IsDataLoss(m.status())) {
    return m.status();
  }
  return Clean(w, m.ok() && m->backup_id() == w.backup_id());
}

void LeftoverSweeper::JobEnded(const v1::JobEvent& outcome) {
  std::optional<v1::WriteIntents> w = journal_->Get(outcome.job_id());
  if (w) {
    absl::Status st = w->kind() == "copy"
                          ? CleanCopy(*w)
                          : Clean(*w, outcome.state() == v1::JOB_STATE_SUCCEEDED);
    if (!st.ok()) {
      LogWarn("agent", "job ", outcome.job_id(), ": cannot clean up after it yet (",
              st.message(), "); tried again on the next cleanup pass");
    }
  }
  for (const v1::WriteIntents& c : journal_->List()) {
    if (JobOfCopyJournalId(c.job_id()) != outcome.job_id()) continue;
    if (absl::Status st = CleanCopy(c); !st.ok()) {
      LogWarn("agent", "job ", outcome.job_id(), ": cannot clean up its copy to ",
              c.storage().name(), " yet (", st.message(), "); tried again on the next cleanup pass");
    }
  }
}

absl::StatusOr<v1::JobEvent> LeftoverSweeper::Establish(const v1::WriteIntents& w) {
  v1::JobEvent e;
  e.set_job_id(w.job_id());
  e.set_time(TimeToString(clock_->Now()));
  // Above any number the dead process gave the job's events, which a
  // controller following it has seen: this end must not look like a repeat.
  e.set_sequence(uint64_t{1} << 62);
  if (w.kind() == "backup") {
    ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage, OpenStorage(w.storage()));
    absl::StatusOr<v1::Manifest> m =
        ReadManifest(storage.get(), w.storage().prefix(), w.database(), w.backup_id());
    if (m.ok() && m->job_id() == w.job_id()) {
      e.set_state(v1::JOB_STATE_SUCCEEDED);
      *e.mutable_manifest() = *m;
      e.set_note(
          "the agent stopped after it had committed this backup, before it could report it; "
          "the outcome was taken from the backup's manifest when the agent started again");
      return e;
    }
    // Absent, unreadable (DataLoss: never a commit) or another job's: this
    // job did not commit. Any other error is the storage's: ask again later.
    if (!m.ok() && !absl::IsNotFound(m.status()) && !absl::IsDataLoss(m.status())) {
      return m.status();
    }
    e.set_state(v1::JOB_STATE_FAILED);
    e.set_error(
        "the agent stopped (killed or crashed) before the backup was committed; what it had "
        "written was removed when the agent started again");
    return e;
  }
  if (w.kind() == "copy") {
    // A copy job: it committed when the copy's manifest is there.
    ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage, OpenStorage(w.storage()));
    absl::StatusOr<v1::Manifest> m =
        ReadManifest(storage.get(), w.storage().prefix(), w.database(), w.backup_id());
    if (!m.ok() && !absl::IsNotFound(m.status()) && !absl::IsDataLoss(m.status())) {
      return m.status();
    }
    v1::CopyResult* c = e.add_copies();
    c->set_storage(w.storage().name());
    c->set_committed(m.ok());
    if (m.ok()) {
      e.set_state(v1::JOB_STATE_SUCCEEDED);
      c->set_stored_size_bytes(m->stored_size_bytes());
      c->set_stored_sha256(m->stored_sha256());
      e.set_note("the agent stopped after it had committed this copy, before it could report it");
    } else {
      e.set_state(v1::JOB_STATE_FAILED);
      e.set_error("the agent stopped (killed or crashed) before the copy was committed");
      c->set_error(e.error());
    }
    return e;
  }
  e.set_state(v1::JOB_STATE_FAILED);
  e.set_error(
      "the agent stopped (killed or crashed) before the restore ended; its temporary files were "
      "removed when it started again; check the target before using it");
  return e;
}

int LeftoverSweeper::SweepOrphans() {
  int finished = 0;
  for (const v1::WriteIntents& w : journal_->List()) {
    if (registry_->Find(w.job_id()) != nullptr) continue;  // still running here
    // A backup's copy destination: done with its job, whatever the job's
    // outcome (a copy commits on its own).
    if (std::string parent = JobOfCopyJournalId(w.job_id()); !parent.empty()) {
      if (registry_->Find(parent) != nullptr) continue;
      if (absl::Status st = CleanCopy(w); !st.ok()) {
        LogWarn("agent", "job ", parent, ": cannot clean up its copy to ", w.storage().name(),
                " yet: ", st.message());
        continue;
      }
      ++finished;
      continue;
    }
    std::optional<v1::JobEvent> outcome = registry_->Journaled(w.job_id());
    if (!outcome) {
      absl::StatusOr<v1::JobEvent> established = Establish(w);
      if (!established.ok()) {
        LogWarn("agent", "job ", w.job_id(), " of an earlier agent process: cannot establish its "
                "outcome yet: ", established.status().message());
        continue;
      }
      registry_->RecordOutcome(*established);
      LogInfo("agent", "job ", w.job_id(), " of an earlier agent process ended ",
              v1::JobState_Name(established->state()));
      outcome = *established;
    }
    absl::Status st = w.kind() == "copy" ? CleanCopy(w)
                                         : Clean(w, outcome->state() == v1::JOB_STATE_SUCCEEDED);
    if (!st.ok()) {
      LogWarn("agent", "job ", w.job_id(), ": cannot clean up after it yet: ", st.message());
      continue;
    }
    ++finished;
  }
  return finished;
}

bool LeftoverSweeper::Pending(const std::string& job_id) {
  return registry_->Find(job_id) == nullptr && !registry_->Journaled(job_id) &&
         journal_->Get(job_id).has_value();
}

void LeftoverSweeper::Start(absl::Duration every) {
  thread_ = std::thread([this, every] {
    do {
      int n = SweepOrphans();
      if (n > 0) LogInfo("agent", "cleaned up after ", n, " job", n == 1 ? "" : "s");
    } while (!stop_.WaitForNotificationWithTimeout(every));
  });
}

void LeftoverSweeper::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

}  // namespace dbdump
