#include "common/engines/postgres/pg_globals.h"

namespace dbdump::pg {

absl::Status CheckGlobals(const v1::DatabaseTarget&, const std::string&, v1::GlobalsMode, int) {
  return absl::UnimplementedError("applying globals is not built yet");
}

absl::Status ApplyGlobals(const v1::DatabaseTarget&, const std::string&, v1::GlobalsMode, int,
                          std::vector<std::string>*) {
  return absl::UnimplementedError("applying globals is not built yet");
}

}  // namespace dbdump::pg
