// The retention rules that apply to a database: its own, else those of the
// first of its schedules that has rules.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/retention/retention_policy.h"
#include "controller/store/store.h"

namespace dbdump {

struct RulesInForce {
  RetentionRules rules;
  // The zone GFS periods are counted in.
  absl::TimeZone zone = absl::UTCTimeZone();
  // Where they come from, for plans: "rules of database x, UTC".
  std::string source;
};

RetentionRules RulesFromProto(const dbdump::v1::RetentionRules& r);

// Empty rules (keep everything) when neither the database nor a schedule
// has any.
absl::StatusOr<RulesInForce> LoadRulesInForce(Store* store, const std::string& database);

}  // namespace dbdump
