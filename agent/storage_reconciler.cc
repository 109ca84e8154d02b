#include "agent/storage_reconciler.h"

#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/storage/backup_layout.h"

namespace dbdump {
namespace {

constexpr char kManifestName[] = "manifest.json";

using DirKey = std::pair<std::string, std::string>;  // database, backup id

// What one backup directory holds.
struct Dir {
  std::map<std::string, ObjectInfo> objects;  // by name relative to the directory
  std::vector<IncompleteWrite> incomplete;
};

// Splits `rel` ("<database>/<backup-id>/<object>") when it is in the layout.
bool SplitLayoutKey(const std::string& rel, std::string* database, std::string* backup_id,
                    std::string* object) {
  size_t a = rel.find('/');
  if (a == std::string::npos) return false;
  size_t b = rel.find('/', a + 1);
  if (b == std::string::npos || b + 1 >= rel.size()) return false;
  *database = rel.substr(0, a);
  *backup_id = rel.substr(a + 1, b - a - 1);
  *object = rel.substr(b + 1);
  return ValidateResourceName("database name", *database).ok() && IsBackupIdShape(*backup_id);
}

v1::ReconcileAction Action(v1::ReconcileActionKind kind, const DirKey& dir, std::string key,
                           std::string reason) {
  v1::ReconcileAction a;
  a.set_kind(kind);
  a.set_database(dir.first);
  a.set_backup_id(dir.second);
  a.set_key(std::move(key));
  a.set_reason(std::move(reason));
  return a;
}

}  // namespace

bool IsBackupIdShape(const std::string& id) {
  // 20260115T020000Z-0123abcd
  if (id.size() != 25 || id[8] != 'T' || id[15] != 'Z' || id[16] != '-') return false;
  for (size_t i = 0; i < 15; ++i) {
    if (i != 8 && !absl::ascii_isdigit(static_cast<unsigned char>(id[i]))) return false;
  }
  for (size_t i = 17; i < id.size(); ++i) {
    char c = id[i];
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

absl::StatusOr<v1::AgentReconcileStorageResponse> StorageReconciler::Reconcile(
    Storage* storage, const v1::AgentReconcileStorageRequest& req) const {
  std::string prefix = req.storage().prefix();
  while (absl::EndsWith(prefix, "/")) prefix.pop_back();
  // "backups/" and never "backups2/..." ; empty: the whole storage.
  const std::string list_prefix = prefix.empty() ? "" : prefix + "/";
  const absl::Duration min_age =
      absl::Seconds(req.min_age_s() == 0 ? kDefaultMinAgeS : req.min_age_s());
  const absl::Time now = clock_->Now();

  ASSIGN_OR_RETURN_PREPEND(std::vector<ObjectInfo> objects, storage->List(list_prefix),
                           "listing the storage: ");
  ASSIGN_OR_RETURN_PREPEND(std::vector<IncompleteWrite> writes,
                           storage->ListIncomplete(list_prefix),
                           "listing the storage's unfinished writes: ");

  v1::AgentReconcileStorageResponse resp;
  std::map<DirKey, Dir> dirs;
  for (ObjectInfo& o : objects) {
    if (!absl::StartsWith(o.key, list_prefix)) continue;  // a backend that over-lists
    resp.set_objects_seen(resp.objects_seen() + 1);
    std::string db, id, name;
    if (!SplitLayoutKey(o.key.substr(list_prefix.size()), &db, &id, &name)) {
      resp.set_objects_ignored(resp.objects_ignored() + 1);
      continue;
    }
    dirs[{db, id}].objects.emplace(name, std::move(o));
  }
  for (IncompleteWrite& w : writes) {
    if (!absl::StartsWith(w.key, list_prefix)) continue;
    std::string db, id, name;
    if (!SplitLayoutKey(w.key.substr(list_prefix.size()), &db, &id, &name)) {
      resp.set_objects_ignored(resp.objects_ignored() + 1);
      continue;
    }
    dirs[{db, id}].incomplete.push_back(std::move(w));
  }

  std::map<DirKey, const v1::CataloguedBackup*> catalogued;
  for (const v1::CataloguedBackup& c : req.catalogued()) {
    catalogued[{c.database(), c.backup_id()}] = &c;
    dirs[{c.database(), c.backup_id()}];  // a catalogued backup with nothing left
  }
  const std::set<std::string> busy(req.busy_backup_ids().begin(), req.busy_backup_ids().end());

  std::vector<v1::ReconcileAction> actions;
  // Objects and writes of `dir` become REMOVE/ABORT when old, KEEP when young.
  auto leftovers = [&](const DirKey& key, const Dir& dir, bool objects_too) {
    if (objects_too) {
      for (const auto& [name, info] : dir.objects) {
        v1::ReconcileAction a;
        if (info.modified == absl::InfinitePast()) {
          a = Action(v1::RECONCILE_ACTION_KEEP, key, info.key,
                     "no manifest, and the storage does not say when it was written");
        } else if (now - info.modified < min_age) {
          a = Action(v1::RECONCILE_ACTION_KEEP, key, info.key,
                     absl::StrCat("no manifest, but younger than the minimum age (",
                                  absl::FormatDuration(min_age),
                                  "): a backup may still be writing it"));
        } else {
          a = Action(v1::RECONCILE_ACTION_REMOVE_OBJECT, key, info.key,
                     "no manifest: an unfinished backup");
        }
        a.set_size_bytes(info.size_bytes);
        a.set_modified_at(TimeToString(info.modified));
        actions.push_back(std::move(a));
      }
    }
    for (const IncompleteWrite& w : dir.incomplete) {
      v1::ReconcileAction a;
      if (w.started == absl::InfinitePast() || now - w.started < min_age) {
        a = Action(v1::RECONCILE_ACTION_KEEP, key, w.key,
                   absl::StrCat("an unfinished write younger than the minimum age (",
                                absl::FormatDuration(min_age), "): it may still be in progress"));
      } else {
        a = Action(v1::RECONCILE_ACTION_ABORT_UPLOAD, key, w.key, "a write begun and never finished");
      }
      a.set_upload_id(w.id);
      a.set_size_bytes(w.size_bytes);
      a.set_modified_at(TimeToString(w.started));
      actions.push_back(std::move(a));
    }
  };

  for (const auto& [key, dir] : dirs) {
    const std::string manifest_key = ManifestKey(prefix, key.first, key.second);
    const bool has_manifest = dir.objects.count(kManifestName) > 0;
    if (has_manifest) resp.set_manifests_seen(resp.manifests_seen() + 1);
    if (busy.count(key.second) > 0) {
      if (!dir.objects.empty() || !dir.incomplete.empty()) {
        actions.push_back(Action(v1::RECONCILE_ACTION_KEEP, key, BackupDir(prefix, key.first, key.second),
                                 "a running job's backup"));
      }
      continue;
    }
    auto cat = catalogued.find(key);
    if (cat != catalogued.end()) {
      const v1::CataloguedBackup& c = *cat->second;
      std::vector<std::string> gone;
      for (const std::string& o : c.objects()) {
        if (dir.objects.count(o) == 0) gone.push_back(o);
      }
      if (!c.missing() && !gone.empty()) {
        actions.push_back(Action(v1::RECONCILE_ACTION_MARK_MISSING, key, manifest_key,
                                 absl::StrCat("gone from storage: ", absl::StrJoin(gone, ", "))));
      } else if (c.missing() && gone.empty()) {
        actions.push_back(Action(v1::RECONCILE_ACTION_MARK_FOUND, key, manifest_key,
                                 "every object is in storage again"));
      }
      // A catalogued backup's own unfinished writes (a retried upload) are leftovers too.
      leftovers(key, dir, /*objects_too=*/false);
      continue;
    }
    if (!has_manifest) {
      leftovers(key, dir, /*objects_too=*/true);
      continue;
    }
    // A manifest the catalogue lacks: adopt it if it is whole and belongs here.
    absl::StatusOr<v1::Manifest> m = ReadManifest(storage, prefix, key.first, key.second);
    if (!m.ok()) {
      actions.push_back(Action(v1::RECONCILE_ACTION_KEEP, key, manifest_key,
                               absl::StrCat("manifest.json cannot be read, so nothing here is "
                                            "touched: ", m.status().message())));
      leftovers(key, dir, /*objects_too=*/false);
      continue;
    }
    if (m->backup_id() != key.second || m->database() != key.first) {
      actions.push_back(Action(
          v1::RECONCILE_ACTION_KEEP, key, manifest_key,
          absl::StrCat("manifest.json names backup ", m->backup_id(), " of database ",
                       m->database(), ", not this directory's: not adopted")));
      leftovers(key, dir, /*objects_too=*/false);
      continue;
    }
    std::vector<std::string> gone;
    if (m->dump_object().empty() || dir.objects.count(m->dump_object()) == 0) {
      gone.push_back(m->dump_object().empty() ? "(no dump object named)" : m->dump_object());
    }
    for (const v1::StoredObject& o : m->extra_objects()) {
      if (dir.objects.count(o.object()) == 0) gone.push_back(o.object());
    }
    if (!gone.empty()) {
      actions.push_back(Action(v1::RECONCILE_ACTION_KEEP, key, manifest_key,
                               absl::StrCat("manifest.json names objects that are not in "
                                            "storage (", absl::StrJoin(gone, ", "),
                                            "): not adopted")));
      leftovers(key, dir, /*objects_too=*/false);
      continue;
    }
    v1::ReconcileAction a = Action(v1::RECONCILE_ACTION_ADOPT, key, manifest_key,
                                   "a complete backup the catalogue lacks");
    *a.mutable_manifest() = *std::move(m);
    const ObjectInfo& mi = dir.objects.at(kManifestName);
    a.set_modified_at(TimeToString(mi.modified));
    actions.push_back(std::move(a));
    leftovers(key, dir, /*objects_too=*/false);
  }

  for (v1::ReconcileAction& a : actions) {
    if (req.dry_run()) break;
    absl::Status st;
    if (a.kind() == v1::RECONCILE_ACTION_REMOVE_OBJECT) {
      st = storage->Remove(a.key());
    } else if (a.kind() == v1::RECONCILE_ACTION_ABORT_UPLOAD) {
      IncompleteWrite w;
      w.key = a.key();
      w.id = a.upload_id();
      st = storage->AbortIncomplete(w);
    } else {
      continue;  // the controller applies the rest to its catalogue
    }
    if (st.ok()) {
      a.set_done(true);
    } else {
      a.set_error(std::string(st.message()));
    }
  }
  for (v1::ReconcileAction& a : actions) *resp.add_actions() = std::move(a);
  return resp;
}

}  // namespace dbdump
