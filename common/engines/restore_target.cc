#include "common/engines/restore_target.h"

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "common/engines/mongodb/mongo_names.h"
#include "common/engines/mysql/mysql_names.h"
#include "common/storage/local_storage.h"

namespace dbdump {

absl::Status ValidateRestoreTarget(v1::Engine engine, const std::string& name) {
  switch (engine) {
    case v1::ENGINE_SQLITE:
      if (name.empty()) {
        return absl::InvalidArgumentError(
            "the sqlite restore target is empty: give the file to restore to as "
            "--target=/absolute/path.db");
      }
      if (!ValidateLocalRoot(name).ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "sqlite restore target \"", name,
            "\" must be an absolute file path without \".\" or \"..\" segments, such as "
            "--target=/srv/restored/app.db"));
      }
      return absl::OkStatus();
    case v1::ENGINE_POSTGRES:
      return ValidatePgDatabaseName(name);
    case v1::ENGINE_MYSQL:
      return name.empty() ? absl::OkStatus() : ValidateMysqlName("database name", name);
    case v1::ENGINE_MONGODB:
      return name.empty() ? absl::OkStatus() : ValidateMongoDatabaseName(name);
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "engine ", v1::Engine_Name(engine), " has no restore target rules: use a newer dbdump"));
  }
}

absl::Status SetRestoreTarget(const std::string& name, v1::DatabaseTarget* target) {
  absl::Status valid = ValidateRestoreTarget(target->engine(), name);
  if (!valid.ok()) return valid;
  if (target->engine() == v1::ENGINE_SQLITE) {
    target->set_path(name);
  } else {
    target->set_database(name);
  }
  return absl::OkStatus();
}

}  // namespace dbdump
