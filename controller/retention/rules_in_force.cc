#include "controller/retention/rules_in_force.h"

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/base/time_zone.h"

namespace dbdump {

RetentionRules RulesFromProto(const v1::RetentionRules& r) {
  RetentionRules out;
  out.keep_last = static_cast<int>(r.keep_last());
  out.keep_within = absl::Seconds(static_cast<int64_t>(r.keep_within_s()));
  out.keep_daily = static_cast<int>(r.keep_daily());
  out.keep_weekly = static_cast<int>(r.keep_weekly());
  out.keep_monthly = static_cast<int>(r.keep_monthly());
  out.keep_yearly = static_cast<int>(r.keep_yearly());
  return out;
}

absl::StatusOr<RulesInForce> LoadRulesInForce(Store* store, const std::string& database) {
  RulesInForce out;
  if (auto own = store->GetDatabaseRetention(database); own.ok()) {
    out.rules = RulesFromProto(own->first);
    ASSIGN_OR_RETURN(out.zone, LoadScheduleTimeZone(own->second));
    out.source = absl::StrCat("rules of database ", database, ", ", own->second);
    return out;
  } else if (!absl::IsNotFound(own.status())) {
    return own.status();
  }
  ASSIGN_OR_RETURN(std::vector<v1::Schedule> schedules, store->ListSchedules(database));
  for (const v1::Schedule& s : schedules) {
    RetentionRules r = RulesFromProto(s.retention());
    if (r.empty()) continue;
    out.rules = r;
    ASSIGN_OR_RETURN(out.zone, LoadScheduleTimeZone(s.time_zone()));
    out.source = absl::StrCat("schedule ", s.name(), ", ", s.time_zone());
    return out;
  }
  out.source = "no schedule of this database has retention rules";
  return out;
}

}  // namespace dbdump
