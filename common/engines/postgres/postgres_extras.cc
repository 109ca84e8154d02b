// PostgresEngine's further objects in a restore: the cluster's globals
// before the dump, the database's own settings after it.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/engines/postgres/pg_database_settings.h"
#include "common/engines/postgres/pg_globals.h"
#include "common/engines/postgres/postgres_engine.h"

namespace dbdump {

std::vector<RestoreExtra> PostgresEngine::RestoreExtras(const v1::Manifest&,
                                                        const v1::RestoreOptions& options) const {
  std::vector<RestoreExtra> out;
  if (options.globals() != v1::GLOBALS_MODE_UNSPECIFIED) {
    RestoreExtra g;
    g.role = "globals";
    g.stage = RestoreExtra::Stage::kBeforeDump;
    g.required = true;
    g.missing_hint =
        "it was taken without --globals: restore without --globals, or take a backup of a "
        "database whose dump options include --globals (database update NAME --globals)";
    out.push_back(std::move(g));
  }
  if (!options.no_database_settings()) {
    // Backups taken before the settings object existed have none.
    RestoreExtra s;
    s.role = "settings";
    s.stage = RestoreExtra::Stage::kAfterDump;
    out.push_back(std::move(s));
  }
  return out;
}

absl::Status PostgresEngine::CheckExtra(const v1::DatabaseTarget& target,
                                        const RestoreExtra& extra, const std::string& raw,
                                        const v1::RestoreOptions& options) {
  if (extra.role == "globals") {
    return pg::CheckGlobals(target, raw, options.globals(), options_.connect_timeout_s);
  }
  if (extra.role == "settings") {
    return pg::CheckDatabaseSettings(target, raw, options, options_.connect_timeout_s);
  }
  return absl::InvalidArgumentError(absl::StrCat("no restore step for ", extra.role));
}

absl::Status PostgresEngine::ApplyExtra(const v1::DatabaseTarget& target,
                                        const RestoreExtra& extra, const std::string& raw,
                                        const v1::RestoreOptions& options,
                                        std::vector<std::string>* notes) {
  if (extra.role == "globals") {
    return pg::ApplyGlobals(target, raw, options.globals(), options_.connect_timeout_s, notes);
  }
  if (extra.role == "settings") {
    return pg::ApplyDatabaseSettings(target, raw, options, options_.connect_timeout_s, notes);
  }
  return absl::InvalidArgumentError(absl::StrCat("no restore step for ", extra.role));
}

}  // namespace dbdump
