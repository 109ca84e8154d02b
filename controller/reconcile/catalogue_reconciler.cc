#include "controller/reconcile/catalogue_reconciler.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {

constexpr char kFoundNote[] =
    "catalogued from a manifest found in storage by reconciliation";

WorkQueueOptions QueueOptions() {
  WorkQueueOptions o;
  o.name = "reconcile";
  return o;
}

// What the agent is told of one backup of the storage: the objects it owns.
void AddCatalogued(const v1::Backup& b, bool missing, v1::AgentReconcileStorageRequest* req) {
  v1::CataloguedBackup* c = req->add_catalogued();
  c->set_database(b.database());
  c->set_backup_id(b.id());
  if (!b.manifest().dump_object().empty()) c->add_objects(b.manifest().dump_object());
  for (const v1::StoredObject& o : b.manifest().extra_objects()) c->add_objects(o.object());
  c->add_objects("manifest.json");
  c->set_missing(missing);
}

}  // namespace

std::string ReconcileSummary(const v1::ReconcileStorageResponse& r) {
  std::map<v1::ReconcileActionKind, int> kinds;
  int failed = 0;
  for (const v1::ReconcileAction& a : r.actions()) {
    ++kinds[a.kind()];
    if (!a.error().empty()) ++failed;
  }
  return absl::StrCat(r.dry_run() ? "dry run: " : "", r.objects_seen(), " objects (",
                      r.objects_ignored(), " outside the layout), ", r.manifests_seen(),
                      " manifests, ", r.backups_catalogued(), " catalogued; adopt ",
                      kinds[v1::RECONCILE_ACTION_ADOPT], ", missing ",
                      kinds[v1::RECONCILE_ACTION_MARK_MISSING], ", found ",
                      kinds[v1::RECONCILE_ACTION_MARK_FOUND], ", remove ",
                      kinds[v1::RECONCILE_ACTION_REMOVE_OBJECT], ", abort ",
                      kinds[v1::RECONCILE_ACTION_ABORT_UPLOAD], ", keep ",
                      kinds[v1::RECONCILE_ACTION_KEEP], ", failed ", failed);
}

CatalogueReconciler::CatalogueReconciler(CatalogueReconcilerParts parts)
    : p_(std::move(parts)), queue_(QueueOptions()) {
  queue_.Start();
}

CatalogueReconciler::~CatalogueReconciler() { Stop(); }

void CatalogueReconciler::Stop() { queue_.Stop(); }

bool CatalogueReconciler::WaitIdle(absl::Duration timeout) { return queue_.WaitIdle(timeout); }

absl::StatusOr<v1::Agent> CatalogueReconciler::PickAgent(const v1::StorageDestination& storage,
                                                         const std::string& requested) {
  const absl::Time now = p_.clock->Now();
  if (!requested.empty()) {
    RETURN_IF_ERROR(ValidateResourceName("agent name", requested));
    ASSIGN_OR_RETURN(v1::Agent a, p_.store->GetAgent(requested));
    if (!p_.is_online(a, now)) {
      return absl::UnavailableError(absl::StrCat("agent \"", a.name(),
                                                 "\" is offline: start it, or pass another "
                                                 "agent that can reach the storage with --via"));
    }
    return a;
  }
  ASSIGN_OR_RETURN(std::vector<v1::Database> dbs, p_.store->ListDatabases());
  std::set<std::string> tried;
  for (const v1::Database& db : dbs) {
    // The agents that write there: as the primary or as a copy destination.
    bool writes_there = db.storage() == storage.name();
    for (const std::string& c : db.copies()) writes_there = writes_there || c == storage.name();
    if (!writes_there || !tried.insert(db.target().agent()).second) continue;
    absl::StatusOr<v1::Agent> a = p_.store->GetAgent(db.target().agent());
    if (a.ok() && p_.is_online(*a, now)) return *a;
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "no online agent backs up a database to storage \"", storage.name(),
      "\": start one, or name an agent that can reach the storage with --via=AGENT"));
}

absl::StatusOr<v1::ReconcileStorageResponse> CatalogueReconciler::Reconcile(
    const v1::ReconcileStorageRequest& req) {
  RETURN_IF_ERROR(ValidateResourceName("storage name", req.name()));
  absl::MutexLock pass(&pass_mu_);
  ASSIGN_OR_RETURN(v1::StorageDestination storage, p_.store->GetStorage(req.name()));
  ASSIGN_OR_RETURN(v1::Agent agent, PickAgent(storage, req.agent()));

  v1::AgentReconcileStorageRequest areq;
  *areq.mutable_storage() = storage;
  areq.set_min_age_s(req.min_age_s() == 0 ? kDefaultMinAgeS : req.min_age_s());
  areq.set_dry_run(req.dry_run());
  ASSIGN_OR_RETURN(std::vector<v1::Backup> backups, p_.store->ListBackupsInStorage(storage.name()));
  // What the agent may tell us to mark: only this storage's catalogued backups.
  std::map<std::string, v1::Backup> catalogued;
  for (v1::Backup& b : backups) {
    if (b.state() != v1::BACKUP_STATE_COMPLETED && b.state() != v1::BACKUP_STATE_MISSING) continue;
    AddCatalogued(b, b.state() == v1::BACKUP_STATE_MISSING, &areq);
    std::string id = b.id();
    catalogued.emplace(std::move(id), std::move(b));
  }
  // A copy destination's catalogue is its committed copies: their objects
  // are no orphans. Copies the catalogue holds elsewhere are not sent.
  ASSIGN_OR_RETURN(std::vector<BackupCopyRow> copy_rows,
                   p_.store->ListCopiesInStorage(storage.name(), {v1::BACKUP_COPY_STATE_COMMITTED}));
  std::map<std::string, std::string> copies;  // backup id -> database
  for (const BackupCopyRow& row : copy_rows) {
    if (catalogued.count(row.backup_id) > 0) continue;
    ASSIGN_OR_RETURN(v1::Backup b, p_.store->GetBackup(row.backup_id));
    AddCatalogued(b, /*missing=*/false, &areq);
    copies[b.id()] = b.database();
  }
  ASSIGN_OR_RETURN(std::vector<std::string> busy, p_.store->BusyBackupIds());
  for (const std::string& id : busy) areq.add_busy_backup_ids(id);

  std::shared_ptr<AgentClient> client = p_.agents->For(agent);
  absl::StatusOr<v1::AgentReconcileStorageResponse> aresp = client->ReconcileStorage(areq);
  if (!aresp.ok()) {
    return absl::Status(aresp.status().code(),
                        absl::StrCat("storage \"", storage.name(), "\" reconciled through agent \"",
                                     agent.name(), "\": ", aresp.status().message()));
  }
  v1::ReconcileStorageResponse resp;
  resp.set_agent(agent.name());
  resp.set_dry_run(req.dry_run());
  resp.set_manifests_seen(aresp->manifests_seen());
  resp.set_backups_catalogued(static_cast<uint32_t>(areq.catalogued_size()));
  resp.set_objects_seen(aresp->objects_seen());
  resp.set_objects_ignored(aresp->objects_ignored());
  const std::set<std::string> busy_set(busy.begin(), busy.end());
  for (v1::ReconcileAction& a : *aresp->mutable_actions()) {
    // The agent only proposes; what it proposes must fit what we sent it.
    const auto it = catalogued.find(a.backup_id());
    const bool ours = it != catalogued.end() && it->second.database() == a.database();
    const auto copy = copies.find(a.backup_id());
    if (copy != copies.end() && copy->second == a.database() &&
        (a.kind() == v1::RECONCILE_ACTION_MARK_MISSING || a.kind() == v1::RECONCILE_ACTION_ADOPT)) {
      // A copy whose objects are gone is pending again: a copy job
      // rewrites it from the primary. Its manifest is no backup to adopt.
      if (a.kind() == v1::RECONCILE_ACTION_ADOPT) {
        a.set_error("a committed copy of a catalogued backup: not adopted");
      } else if (!req.dry_run()) {
        v1::BackupCopy pending;
        pending.set_storage(storage.name());
        pending.set_state(v1::BACKUP_COPY_STATE_PENDING);
        pending.set_error(absl::StrCat("objects missing from storage: ", a.reason()));
        pending.set_updated_at(TimeToString(p_.clock->Now()));
        absl::Status st = p_.store->RecordCopyAttempt(a.backup_id(), pending);
        if (st.ok()) {
          a.set_done(true);
        } else {
          a.set_error(std::string(st.message()));
        }
      }
      *resp.add_actions() = std::move(a);
      continue;
    }
    if ((a.kind() == v1::RECONCILE_ACTION_MARK_MISSING || a.kind() == v1::RECONCILE_ACTION_MARK_FOUND) &&
        !ours) {
      a.set_error("not a backup of this storage in the catalogue: ignored");
    } else if (a.kind() == v1::RECONCILE_ACTION_ADOPT &&
               (it != catalogued.end() || busy_set.count(a.backup_id()) > 0 ||
                a.manifest().backup_id() != a.backup_id() ||
                a.manifest().database() != a.database())) {
      a.set_error("already catalogued, busy, or the manifest does not match: not adopted");
    } else if (!req.dry_run()) {
      Apply(storage, agent.name(), &a);
    }
    *resp.add_actions() = std::move(a);
  }
  LogInfo("reconcile", "storage ", storage.name(), " through agent ", agent.name(), ": ",
          ReconcileSummary(resp));
  return resp;
}

void CatalogueReconciler::Apply(const v1::StorageDestination& storage, const std::string& agent,
                                v1::ReconcileAction* a) {
  const absl::Time now = p_.clock->Now();
  absl::Status st;
  switch (a->kind()) {
    case v1::RECONCILE_ACTION_ADOPT:
      Adopt(storage, agent, a);
      return;
    case v1::RECONCILE_ACTION_MARK_MISSING:
      st = p_.store->MarkBackupMissing(a->backup_id(), a->reason(), now);
      if (st.ok() && p_.notifier != nullptr) {
        Notification n;
        n.event = NotificationEvent::kBackupMissing;
        n.database = a->database();
        n.summary = absl::StrCat("backup ", a->backup_id(), " of ", a->database(),
                                 " is missing from storage ", storage.name());
        n.fields = {{"backup", a->backup_id()}, {"storage", storage.name()}, {"reason", a->reason()}};
        n.time = now;
        p_.notifier->Notify(n);
      }
      break;
    case v1::RECONCILE_ACTION_MARK_FOUND:
      st = p_.store->MarkBackupFound(a->backup_id());
      break;
    default:
      return;  // the agent carried out (or kept) the rest
  }
  if (st.ok()) {
    a->set_done(true);
  } else {
    a->set_error(std::string(st.message()));
  }
}

void CatalogueReconciler::Adopt(const v1::StorageDestination& storage, const std::string& agent,
                                v1::ReconcileAction* a) {
  const v1::Manifest& m = a->manifest();
  absl::StatusOr<v1::Database> db = p_.store->GetDatabase(m.database());
  if (absl::IsNotFound(db.status())) {
    a->set_error(absl::StrCat("database ", m.database(),
                              " is not in the catalogue: add it and reconcile again"));
    return;
  }
  if (!db.ok()) {
    a->set_error(std::string(db.status().message()));
    return;
  }
  absl::StatusOr<v1::Backup> existing = p_.store->GetBackup(m.backup_id());
  if (existing.ok()) {
    // The same id in two storages: a copy of a bucket, say. One entry per id.
    a->set_error(absl::StrCat("backup ", m.backup_id(), " is already catalogued (in storage ",
                              existing->storage(), "): not adopted again"));
    return;
  }
  if (!absl::IsNotFound(existing.status())) {
    a->set_error(std::string(existing.status().message()));
    return;
  }
  const absl::Time now = p_.clock->Now();
  v1::Job job;
  job.set_id(m.job_id().empty() || !ValidateId("job id", m.job_id()).ok() ? NewJobId(now)
                                                                          : m.job_id());
  job.set_kind(v1::JOB_KIND_BACKUP);
  job.set_state(v1::JOB_STATE_SUCCEEDED);
  job.set_database(m.database());
  job.set_agent(m.agent().empty() ? agent : m.agent());
  job.set_backup_id(m.backup_id());
  job.set_started_at(m.started_at());
  job.set_finished_at(m.finished_at());
  job.set_created_at(!m.started_at().empty() ? m.started_at()
                     : !m.finished_at().empty() ? m.finished_at()
                                                : TimeToString(now));
  job.set_note(kFoundNote);

  v1::Backup b;
  b.set_id(m.backup_id());
  b.set_database(m.database());
  b.set_storage(storage.name());
  b.set_job_id(job.id());
  b.set_state(v1::BACKUP_STATE_COMPLETED);
  *b.mutable_manifest() = m;
  b.set_created_at(m.finished_at().empty() ? TimeToString(now) : m.finished_at());
  b.set_found_at(TimeToString(now));
  absl::Time started = TimeFromString(m.started_at()), finished = TimeFromString(m.finished_at());
  if (started != absl::InfinitePast() && finished != absl::InfinitePast() && finished >= started) {
    b.set_duration_s(absl::ToDoubleSeconds(finished - started));
  }
  absl::Status st = p_.store->AdoptBackup(b, job);
  if (st.ok()) {
    a->set_done(true);
  } else {
    a->set_error(std::string(st.message()));
  }
}

void CatalogueReconciler::ReconcileAllLater(absl::Duration min_age) {
  {
    absl::MutexLock l(&mu_);
    if (all_pending_) return;
    all_pending_ = true;
  }
  const uint32_t min_age_s = static_cast<uint32_t>(std::max<int64_t>(1, absl::ToInt64Seconds(min_age)));
  bool posted = queue_.Post(
      [this, min_age_s] {
        {
          absl::MutexLock l(&mu_);
          all_pending_ = false;
        }
        absl::StatusOr<std::vector<v1::StorageDestination>> storages = p_.store->ListStorages();
        if (!storages.ok()) {
          LogWarn("reconcile", "scheduled pass: cannot list storages: ", storages.status().message());
          return;
        }
        for (const v1::StorageDestination& s : *storages) {
          if (queue_.stopping()) return;
          v1::ReconcileStorageRequest req;
          req.set_name(s.name());
          req.set_min_age_s(min_age_s);
          absl::StatusOr<v1::ReconcileStorageResponse> r = Reconcile(req);
          if (!r.ok()) {
            LogWarn("reconcile", "scheduled pass of storage ", s.name(), ": ", r.status().message());
          }
        }
      },
      "scheduled storage reconciliation");
  if (!posted) {
    absl::MutexLock l(&mu_);
    all_pending_ = false;
  }
}

}  // namespace dbdump
