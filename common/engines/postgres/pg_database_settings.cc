#include "common/engines/postgres/pg_database_settings.h"

namespace dbdump::pg {

absl::StatusOr<std::string> CaptureDatabaseSettings(const v1::DatabaseTarget&, int) {
  return absl::UnimplementedError("database settings are not built yet");
}

absl::Status CheckDatabaseSettings(const v1::DatabaseTarget&, const std::string&,
                                   const v1::RestoreOptions&, int) {
  return absl::UnimplementedError("database settings are not built yet");
}

absl::Status ApplyDatabaseSettings(const v1::DatabaseTarget&, const std::string&,
                                   const v1::RestoreOptions&, int, std::vector<std::string>*) {
  return absl::UnimplementedError("database settings are not built yet");
}

}  // namespace dbdump::pg
