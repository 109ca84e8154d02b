#include "controller/retention/backup_maintainer.h"

#include <functional>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/base/time_zone.h"
#include "common/storage/object_lock.h"
#include "controller/retention/retention_policy.h"
#include "controller/retention/rules_in_force.h"

namespace dbdump {
namespace {

// What a plan weighs, from the catalogue (oldest first), with sizes.
struct Candidates {
  std::vector<RetentionCandidate> list;
  std::map<std::string, uint64_t> sizes;
};

// What `judge` says of one backup: not a candidate (nullopt), or whether it
// is good and its stored size.
using CandidateJudge = std::function<std::optional<std::pair<bool, uint64_t>>(const v1::Backup&)>;

Candidates CandidatesOf(const std::vector<v1::Backup>& backups, const CandidateJudge& judge) {
  Candidates out;
  int64_t sequence = 0;
  for (const v1::Backup& b : backups) {
    ++sequence;
    std::optional<std::pair<bool, uint64_t>> verdict = judge(b);
    if (!verdict) continue;
    out.list.push_back({b.id(), TimeFromString(b.created_at()), verdict->first, sequence});
    out.sizes[b.id()] = verdict->second;
  }
  return out;
}

// The plan of the candidates under `rules`, newest first, with the sizes.
v1::PlanRetentionResponse PlanOf(const RetentionRules& rules, absl::TimeZone zone,
                                 const std::string& source, const Candidates& c, absl::Time now) {
  const std::vector<RetentionCandidate>& candidates = c.list;
  const std::map<std::string, uint64_t>& sizes = c.sizes;
  v1::PlanRetentionResponse resp;
  resp.set_rules(absl::StrCat(rules.ToString(), " (", source, ")"));
  for (const RetentionDecision& d : RetentionPolicy(rules, zone).Plan(candidates, now)) {
    v1::RetentionVerdict* v = resp.add_verdicts();
    v->set_backup_id(d.backup_id);
    v->set_created_at(TimeToString(d.created));
    v->set_keep(d.keep);
    v->set_reason(d.reason);
    auto size = sizes.find(d.backup_id);
    v->set_stored_size_bytes(size == sizes.end() ? 0 : size->second);
  }
  return resp;
}

WorkQueueOptions QueueOptions() {
  WorkQueueOptions o;
  o.name = "controller";
  return o;
}

}  // namespace

const char* NotificationEventName(NotificationEvent e) {
  switch (e) {
    case NotificationEvent::kBackupFailed: return "failure";
    case NotificationEvent::kBackupSucceeded: return "success";
    case NotificationEvent::kVerificationFailed: return "verify_failure";
    case NotificationEvent::kBackupStale: return "stale";
    case NotificationEvent::kBackupMissing: return "missing";
  }
  return "unknown";
}

BackupMaintainer::BackupMaintainer(Store* store, AgentClients* agents, Clock* clock,
                                   Notifier* notifier)
    : store_(store),
      agents_(agents),
      clock_(clock),
      notifier_(notifier),
      queue_(QueueOptions()) {
  queue_.Start();
}

BackupMaintainer::~BackupMaintainer() { Stop(); }

void BackupMaintainer::Stop() { queue_.Stop(); }

bool BackupMaintainer::WaitIdle(absl::Duration timeout) { return queue_.WaitIdle(timeout); }

void BackupMaintainer::Later(std::function<void()> task, std::string what) {
  if (!queue_.Post(std::move(task), what)) {
    LogWarn("controller", what, " not started: the controller is stopping");
  }
}

void BackupMaintainer::VerifyNewestLater(const std::string& database) {
  Later(
      [this, database] {
        auto backups = store_->ListBackups(database);
        if (!backups.ok()) {
          LogWarn("controller", "verification of ", database, ": ", backups.status().message());
          return;
        }
        for (auto it = backups->rbegin(); it != backups->rend(); ++it) {
          if (it->state() != v1::BACKUP_STATE_COMPLETED || !it->deleted_at().empty()) continue;
          auto r = Verify(it->id());
          if (!r.ok()) LogWarn("controller", "verification of ", it->id(), ": ", r.status().message());
          for (const v1::BackupCopy& c : it->copies()) {
            if (c.state() != v1::BACKUP_COPY_STATE_COMMITTED) continue;
            auto rc = Verify(it->id(), c.storage());
            if (!rc.ok()) {
              LogWarn("controller", "verification of ", it->id(), " in ", c.storage(), ": ",
                      rc.status().message());
            }
          }
          return;
        }
      },
      absl::StrCat("verification of ", database));
}

void BackupMaintainer::ApplyLater(const std::string& database) {
  Later(
      [this, database] {
        auto r = Apply(database);
        if (!r.ok()) LogWarn("controller", "retention of ", database, ": ", r.status().message());
      },
      absl::StrCat("retention of ", database));
}

absl::StatusOr<std::shared_ptr<AgentClient>> BackupMaintainer::AgentOf(
    const std::string& database) {
  ASSIGN_OR_RETURN(v1::Database db, store_->GetDatabase(database));
  ASSIGN_OR_RETURN(v1::Agent agent, store_->GetAgent(db.target().agent()));
  return agents_->For(agent);
}

absl::StatusOr<std::shared_ptr<AgentClient>> BackupMaintainer::AgentOfBackup(
    const v1::Backup& b, const v1::StorageDestination& storage) {
  const std::string& writer = b.manifest().agent();
  auto registered = [&](const std::string& name) -> absl::StatusOr<std::shared_ptr<AgentClient>> {
    ASSIGN_OR_RETURN(v1::Agent agent, store_->GetAgent(name));
    return agents_->For(agent);
  };
  if (storage.kind() == v1::STORAGE_KIND_LOCAL && !writer.empty()) {
    absl::StatusOr<std::shared_ptr<AgentClient>> w = registered(writer);
    if (w.ok() || !absl::IsNotFound(w.status())) return w;
  }
  absl::StatusOr<v1::Database> db = store_->GetDatabase(b.database());
  if (db.ok()) return registered(db->target().agent());
  if (!absl::IsNotFound(db.status()) || writer.empty()) return db.status();
  return registered(writer);
}

absl::StatusOr<v1::AgentDeleteBackupResponse> BackupMaintainer::DeleteStored(const v1::Backup& b) {
  ASSIGN_OR_RETURN(v1::StorageDestination storage, store_->GetStorage(b.storage()));
  ASSIGN_OR_RETURN(std::shared_ptr<AgentClient> agent, AgentOfBackup(b, storage));
  v1::StoredBackupRef ref;
  *ref.mutable_storage() = storage;
  ref.set_database(b.database());
  ref.set_backup_id(b.id());
  ASSIGN_OR_RETURN(v1::AgentDeleteBackupResponse removed, agent->DeleteBackup(ref));
  RETURN_IF_ERROR(store_->MarkBackupDeleted(b.id(), clock_->Now()));
  return removed;
}

absl::StatusOr<v1::AgentDeleteBackupResponse> BackupMaintainer::DeleteCopy(
    const v1::Backup& b, const std::string& storage_name) {
  ASSIGN_OR_RETURN(v1::StorageDestination storage, store_->GetStorage(storage_name));
  ASSIGN_OR_RETURN(std::shared_ptr<AgentClient> agent, AgentOfBackup(b, storage));
  v1::StoredBackupRef ref;
  *ref.mutable_storage() = storage;
  ref.set_database(b.database());
  ref.set_backup_id(b.id());
  ASSIGN_OR_RETURN(v1::AgentDeleteBackupResponse removed, agent->DeleteBackup(ref));
  RETURN_IF_ERROR(store_->MarkCopyDeleted(b.id(), storage_name, clock_->Now()));
  return removed;
}

absl::StatusOr<v1::DeleteBackupResponse> BackupMaintainer::Delete(const std::string& backup_id) {
  RETURN_IF_ERROR(ValidateId("backup id", backup_id));
  ASSIGN_OR_RETURN(v1::Backup b, store_->GetBackup(backup_id));
  if (!b.deleted_at().empty()) {
    return absl::FailedPreconditionError(absl::StrCat("backup ", backup_id,
                                                      " was already deleted at ", b.deleted_at(),
                                                      ": nothing is left to delete"));
  }
  if (absl::Time locked = TimeFromString(b.locked_until()); locked > clock_->Now()) {
    // The storage would refuse (compliance: even its root user); governance
    // bypass is left to the bucket's owner, outside dbdump.
    return absl::FailedPreconditionError(absl::StrCat(
        "backup ", backup_id, " is locked (", LockModeName(b.lock_mode()), ") until ",
        b.locked_until(), " by S3 Object Lock: it cannot be deleted before then"));
  }
  ASSIGN_OR_RETURN(std::vector<StoredJob> active, store_->ActiveJobs());
  for (const StoredJob& j : active) {
    if (j.job.kind() != v1::JOB_KIND_RESTORE || j.job.backup_id() != backup_id) continue;
    return absl::FailedPreconditionError(absl::StrCat(
        "backup ", backup_id, " is being read by ",
        j.job.restore_options().test_restore() ? "test restore" : "restore", " job ", j.job.id(),
        ": wait for it to end (dbdumpctl job wait ", j.job.id(), ") or cancel it first"));
  }
  {
    absl::MutexLock l(&mu_);
    if (verifying_.count(backup_id) > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "backup ", backup_id, " is being verified: delete it once the verification ended"));
    }
    if (!deleting_.insert(backup_id).second) {
      return absl::FailedPreconditionError(
          absl::StrCat("backup ", backup_id, " is already being deleted"));
    }
  }
  // Every copy first (a pending one may have left objects too), then the
  // primary: the catalogue entry is marked deleted only when all are gone.
  absl::StatusOr<v1::AgentDeleteBackupResponse> removed = v1::AgentDeleteBackupResponse();
  for (const v1::BackupCopy& c : b.copies()) {
    if (c.state() == v1::BACKUP_COPY_STATE_DELETED) continue;
    absl::StatusOr<v1::AgentDeleteBackupResponse> one = DeleteCopy(b, c.storage());
    if (!one.ok()) {
      removed = absl::Status(one.status().code(), absl::StrCat("copy in storage \"", c.storage(),
                                                                 "\": ", one.status().message()));
      break;
    }
    for (const std::string& k : one->removed_keys()) removed->add_removed_keys(k);
  }
  if (removed.ok()) {
    absl::StatusOr<v1::AgentDeleteBackupResponse> primary = DeleteStored(b);
    if (primary.ok()) {
      for (const std::string& k : primary->removed_keys()) removed->add_removed_keys(k);
    } else {
      removed = primary.status();
    }
  }
  {
    absl::MutexLock l(&mu_);
    deleting_.erase(backup_id);
  }
  RETURN_IF_ERROR_PREPEND(removed.status(),
                          absl::StrCat("cannot delete backup ", backup_id, ": "));
  LogInfo("controller", "backup ", backup_id, " of ", b.database(), " deleted on request (",
          removed->removed_keys_size(), " objects)");
  v1::DeleteBackupResponse resp;
  ASSIGN_OR_RETURN(*resp.mutable_backup(), store_->GetBackup(backup_id));
  *resp.mutable_removed_keys() = removed->removed_keys();
  return resp;
}

absl::StatusOr<v1::PlanRetentionResponse> BackupMaintainer::PlanCopies(
    const v1::PlanRetentionRequest& req, const v1::Database& db) {
  const std::string& storage = req.storage();
  RETURN_IF_ERROR(ValidateResourceName("storage name", storage));
  bool is_copy = false;
  for (const std::string& c : db.copies()) is_copy = is_copy || c == storage;
  if (!is_copy) {
    return absl::InvalidArgumentError(absl::StrCat(
        "storage \"", storage, "\" is neither the primary storage of database ", req.database(),
        " (", db.storage(), ") nor one of its copy destinations",
        db.copies().empty() ? "" : " (", absl::StrJoin(db.copies(), ", "),
        db.copies().empty() ? "" : ")"));
  }
  RetentionRules rules;
  absl::TimeZone zone = absl::UTCTimeZone();
  std::string source = "given rules, UTC";
  if (req.use_given_rules()) {
    rules = RulesFromProto(req.rules());
  } else if (auto own = store_->GetCopyRetention(req.database(), storage); own.ok()) {
    rules = RulesFromProto(own->first);
    ASSIGN_OR_RETURN(zone, LoadScheduleTimeZone(own->second));
    source = absl::StrCat("rules of database ", req.database(), " for ", storage, ", ", own->second);
  } else {
    if (!absl::IsNotFound(own.status())) return own.status();
    source = absl::StrCat("no rules for the copies in ", storage, ": every copy is kept");
  }
  // The destination's catalogue: its committed copies, in catalogue order.
  ASSIGN_OR_RETURN(std::vector<BackupCopyRow> rows,
                   store_->ListCopiesInStorage(storage, {v1::BACKUP_COPY_STATE_COMMITTED}));
  std::map<std::string, v1::BackupCopy> copies;
  for (BackupCopyRow& r : rows) copies[r.backup_id] = std::move(r.copy);
  ASSIGN_OR_RETURN(std::vector<v1::Backup> backups, store_->ListBackupsByAge(req.database()));
  Candidates candidates =
      CandidatesOf(backups, [&copies](const v1::Backup& b) -> std::optional<std::pair<bool, uint64_t>> {
        auto c = copies.find(b.id());
        if (c == copies.end()) return std::nullopt;
        return std::make_pair(true, c->second.stored_size_bytes());
      });
  const absl::Time now = clock_->Now();
  v1::PlanRetentionResponse resp = PlanOf(rules, zone, source, candidates, now);
  for (v1::RetentionVerdict& v : *resp.mutable_verdicts()) {
    // Object Lock: the storage itself refuses an early deletion; the plan
    // keeps the copy and says until when.
    const std::string& locked = copies[v.backup_id()].locked_until();
    if (!locked.empty() && TimeFromString(locked) > now) {
      v.set_locked_until(locked);
      if (!v.keep()) {
        v.set_keep(true);
        v.set_reason(absl::StrCat("locked until ", locked));
      }
    }
  }
  return resp;
}

absl::StatusOr<v1::PlanRetentionResponse> BackupMaintainer::Plan(
    const v1::PlanRetentionRequest& req) {
  RETURN_IF_ERROR(ValidateResourceName("database name", req.database()));
  ASSIGN_OR_RETURN(v1::Database db, store_->GetDatabase(req.database()));
  if (!req.storage().empty() && req.storage() != db.storage()) return PlanCopies(req, db);
  RulesInForce in_force;
  if (req.use_given_rules()) {
    in_force.rules = RulesFromProto(req.rules());
    in_force.source = "given rules, UTC";
  } else {
    ASSIGN_OR_RETURN(in_force, LoadRulesInForce(store_, req.database()));
  }
  const RetentionRules& rules = in_force.rules;
  const absl::TimeZone& zone = in_force.zone;
  const std::string& source = in_force.source;
  ASSIGN_OR_RETURN(std::vector<v1::Backup> backups, store_->ListBackupsByAge(req.database()));
  std::vector<RetentionCandidate> candidates;
  std::map<std::string, uint64_t> sizes;
  int64_t sequence = 0;
  for (const v1::Backup& b : backups) {
    ++sequence;
    if (!b.deleted_at().empty()) continue;
    // Only completed backups count as good: a MISSING one (its objects gone
    // from storage) never keeps a plan from deleting an older good one.
    candidates.push_back({b.id(), TimeFromString(b.created_at()),
                          b.state() == v1::BACKUP_STATE_COMPLETED, sequence,
                          TimeFromString(b.locked_until())});
    sizes[b.id()] = b.manifest().stored_size_bytes();
  }
  v1::PlanRetentionResponse resp;
  resp.set_rules(absl::StrCat(rules.ToString(), " (", source, ")"));
  for (const RetentionDecision& d : RetentionPolicy(rules, zone).Plan(candidates, clock_->Now())) {
    v1::RetentionVerdict* v = resp.add_verdicts();
    v->set_backup_id(d.backup_id);
    v->set_created_at(TimeToString(d.created));
    v->set_keep(d.keep);
    v->set_reason(d.reason);
    v->set_stored_size_bytes(sizes[d.backup_id]);
    v->set_locked_until(TimeToString(d.locked_until));
  }
  return resp;
}

absl::StatusOr<v1::ApplyRetentionResponse> BackupMaintainer::Apply(const std::string& database) {
  v1::PlanRetentionRequest req;
  req.set_database(database);
  ASSIGN_OR_RETURN(v1::PlanRetentionResponse plan, Plan(req));
  v1::ApplyRetentionResponse resp;
  *resp.mutable_verdicts() = plan.verdicts();
  resp.set_rules(plan.rules());
  // Belt and braces: the newest successful backup stays whatever the plan says.
  std::string newest;
  absl::Time newest_at = absl::InfinitePast();
  // Oldest first, so the last one of equal times (catalogued later) wins.
  ASSIGN_OR_RETURN(std::vector<v1::Backup> backups, store_->ListBackupsByAge(database));
  std::map<std::string, v1::Backup> by_id;
  for (const v1::Backup& b : backups) {
    by_id[b.id()] = b;
    if (b.state() == v1::BACKUP_STATE_COMPLETED && b.deleted_at().empty() &&
        TimeFromString(b.created_at()) >= newest_at) {
      newest_at = TimeFromString(b.created_at());
      newest = b.id();
    }
  }
  for (const v1::RetentionVerdict& v : plan.verdicts()) {
    if (v.keep() || v.backup_id() == newest) continue;
    const v1::Backup& b = by_id[v.backup_id()];
    absl::Status st = DeleteStored(b).status();
    if (st.ok()) {
      resp.add_deleted(b.id());
      LogInfo("controller", "retention deleted backup ", b.id(), " of ", database, ": ", v.reason());
    } else {
      resp.add_errors(absl::StrCat(b.id(), ": ", st.message()));
      LogWarn("controller", "retention could not delete ", b.id(), ": ", st.message());
    }
  }
  RETURN_IF_ERROR(ApplyToCopies(database, by_id, &resp));
  return resp;
}

absl::Status BackupMaintainer::ApplyToCopies(const std::string& database,
                                             const std::map<std::string, v1::Backup>& by_id,
                                             v1::ApplyRetentionResponse* resp) {
  ASSIGN_OR_RETURN(v1::Database db, store_->GetDatabase(database));
  for (const std::string& storage : db.copies()) {
    v1::PlanRetentionRequest req;
    req.set_database(database);
    req.set_storage(storage);
    ASSIGN_OR_RETURN(v1::PlanRetentionResponse plan, Plan(req));
    // Belt and braces, per destination: its newest committed copy stays.
    std::string newest;
    absl::Time newest_at = absl::InfinitePast();
    for (const v1::RetentionVerdict& v : plan.verdicts()) {
      if (TimeFromString(v.created_at()) >= newest_at) {
        newest_at = TimeFromString(v.created_at());
        newest = v.backup_id();
      }
    }
    for (const v1::RetentionVerdict& v : plan.verdicts()) {
      if (v.keep() || v.backup_id() == newest) continue;
      auto b = by_id.find(v.backup_id());
      if (b == by_id.end()) continue;
      absl::Status st = DeleteCopy(b->second, storage).status();
      if (st.ok()) {
        // Named with its destination: the primary's entry is unchanged.
        resp->add_deleted(absl::StrCat(v.backup_id(), "@", storage));
        LogInfo("controller", "retention deleted the copy of backup ", v.backup_id(), " in ",
                storage, ": ", v.reason());
      } else {
        resp->add_errors(absl::StrCat(v.backup_id(), "@", storage, ": ", st.message()));
        LogWarn("controller", "retention could not delete the copy of ", v.backup_id(), " in ",
                storage, ": ", st.message());
      }
    }
  }
  return absl::OkStatus();
}

// While a verification reads a backup, DeleteBackup refuses it.
class BackupMaintainer::Reading {
 public:
  Reading(BackupMaintainer* m, std::string id) : m_(m), id_(std::move(id)) {
    absl::MutexLock l(&m_->mu_);
    ++m_->verifying_[id_];
    deleting_ = m_->deleting_.count(id_) > 0;
  }
  ~Reading() {
    absl::MutexLock l(&m_->mu_);
    if (--m_->verifying_[id_] == 0) m_->verifying_.erase(id_);
  }
  // The backup was being deleted when the verification began.
  bool deleting() const { return deleting_; }

 private:
  BackupMaintainer* m_;
  const std::string id_;
  bool deleting_ = false;
};

absl::StatusOr<v1::Backup> BackupMaintainer::Verify(const std::string& backup_id,
                                                    const std::string& copy_storage) {
  RETURN_IF_ERROR(ValidateId("backup id", backup_id));
  if (!copy_storage.empty()) RETURN_IF_ERROR(ValidateResourceName("storage name", copy_storage));
  Reading reading(this, backup_id);
  if (reading.deleting()) {
    return absl::FailedPreconditionError(
        absl::StrCat("backup ", backup_id, " is being deleted: there is nothing to verify"));
  }
  ASSIGN_OR_RETURN(v1::Backup b, store_->GetBackup(backup_id));
  const bool of_copy = !copy_storage.empty() && copy_storage != b.storage();
  if (of_copy) {
    // A committed copy is verified whatever became of the primary.
    const v1::BackupCopy* copy = nullptr;
    std::vector<std::string> names;
    for (const v1::BackupCopy& c : b.copies()) {
      names.push_back(c.storage());
      if (c.storage() == copy_storage) copy = &c;
    }
    if (copy == nullptr) {
      return absl::NotFoundError(absl::StrCat(
          "backup ", b.id(), " has no copy in storage \"", copy_storage, "\" (",
          names.empty() ? "it has no copies" : absl::StrCat("its copies: ", absl::StrJoin(names, ", ")),
          ")"));
    }
    if (copy->state() != v1::BACKUP_COPY_STATE_COMMITTED) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the copy of backup ", b.id(), " in storage \"", copy_storage, "\" is ",
          absl::AsciiStrToLower(absl::StripPrefix(v1::BackupCopyState_Name(copy->state()),
                                                  "BACKUP_COPY_STATE_")),
          ": there is nothing to verify there"));
    }
  } else if (!b.deleted_at().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("backup ", backup_id, " was deleted at ", b.deleted_at()));
  } else if (b.state() == v1::BACKUP_STATE_MISSING) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup ", b.id(), " is missing since ", b.missing_since(), " (", b.missing_reason(),
        "): its objects are gone from storage; see storage reconcile"));
  }
  ASSIGN_OR_RETURN(v1::StorageDestination storage,
                   store_->GetStorage(of_copy ? copy_storage : b.storage()));
  // A database moved to another agent leaves its local backups on the host
  // of the agent that wrote them.
  ASSIGN_OR_RETURN(std::shared_ptr<AgentClient> agent, AgentOfBackup(b, storage));
  v1::StoredBackupRef ref;
  *ref.mutable_storage() = storage;
  ref.set_database(b.database());
  ref.set_backup_id(b.id());
  ASSIGN_OR_RETURN(v1::VerifyBackupResponse vresp, agent->VerifyBackup(ref));
  std::string error = vresp.ok() ? "" : vresp.error();
  if (!vresp.ok() && error.empty()) error = "verification failed";
  if (of_copy) {
    RETURN_IF_ERROR(store_->RecordCopyVerification(b.id(), copy_storage, error, clock_->Now()));
  } else {
    RETURN_IF_ERROR(store_->RecordVerification(b.id(), error, clock_->Now()));
  }
  const std::string what =
      of_copy ? absl::StrCat("backup ", b.id(), " (its copy in ", copy_storage, ")")
              : absl::StrCat("backup ", b.id());
  LogInfo("controller", what, " verified: ", error.empty() ? "checksums match" : error);
  if (!error.empty() && notifier_ != nullptr) {
    Notification n;
    n.event = NotificationEvent::kVerificationFailed;
    n.database = b.database();
    n.summary = absl::StrCat("verification of ", what, " of ", b.database(), " failed");
    n.fields = {{"backup", b.id()}, {"database", b.database()}, {"storage", storage.name()},
                {"error", error}};
    n.time = clock_->Now();
    notifier_->Notify(n);
  }
  return store_->GetBackup(b.id());
}

absl::Status BackupMaintainer::ValidateRules(const v1::RetentionRules& r) {
  auto at_most = [](const char* what, uint64_t value, uint64_t max) {
    return value <= max ? absl::OkStatus()
                        : absl::InvalidArgumentError(
                              absl::StrCat(what, " is ", value, ": it must be at most ", max));
  };
  RETURN_IF_ERROR(at_most("keep_last", r.keep_last(), 100000));
  RETURN_IF_ERROR(at_most("keep_within_s", r.keep_within_s(), uint64_t{100} * 366 * 86400));
  RETURN_IF_ERROR(at_most("keep_daily", r.keep_daily(), 100000));
  RETURN_IF_ERROR(at_most("keep_weekly", r.keep_weekly(), 10000));
  RETURN_IF_ERROR(at_most("keep_monthly", r.keep_monthly(), 10000));
  return at_most("keep_yearly", r.keep_yearly(), 1000);
}

absl::StatusOr<std::string> BackupMaintainer::SetDatabaseRules(
    const v1::SetDatabaseRetentionRequest& req) {
  RETURN_IF_ERROR(ValidateResourceName("database name", req.database()));
  RETURN_IF_ERROR(ValidateRules(req.rules()));
  std::string zone_name = req.time_zone().empty() ? "UTC" : req.time_zone();
  RETURN_IF_ERROR(LoadScheduleTimeZone(zone_name).status());
  ASSIGN_OR_RETURN(v1::Database db, store_->GetDatabase(req.database()));
  v1::PlanRetentionRequest plan;
  plan.set_database(req.database());
  if (!req.storage().empty() && req.storage() != db.storage()) {
    // Rules of one copy destination; PlanCopies checks it is one.
    plan.set_storage(req.storage());
    plan.set_use_given_rules(true);
    *plan.mutable_rules() = req.rules();
    RETURN_IF_ERROR(PlanCopies(plan, db).status());
    RETURN_IF_ERROR(store_->SetCopyRetention(req.database(), req.storage(), req.rules(), zone_name,
                                             clock_->Now()));
    plan.set_use_given_rules(false);
    plan.clear_rules();
    ASSIGN_OR_RETURN(v1::PlanRetentionResponse p, Plan(plan));
    return p.rules();
  }
  RETURN_IF_ERROR(store_->SetDatabaseRetention(req.database(), req.rules(), zone_name, clock_->Now()));
  ASSIGN_OR_RETURN(v1::PlanRetentionResponse p, Plan(plan));
  return p.rules();
}

}  // namespace dbdump
