// RetentionPolicy: which backups of one database to keep and which may go.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace dbdump {

// What retention knows of one catalogued backup.
struct RetentionCandidate {
  std::string backup_id;
  absl::Time created;
  // Only successful backups count towards what is kept; failed ones are
  // never counted and never chosen for deletion here.
  bool succeeded = true;
  // Breaks ties between equal `created` times (whole seconds): higher = newer.
  int64_t sequence = 0;
  // S3 Object Lock keeps its objects until then: a backup the rules would
  // delete is kept ("locked until ...") and planned again once it passed.
  absl::Time locked_until = absl::InfinitePast();
};

// The verdict on one candidate, with the reason shown in a dry run.
struct RetentionDecision {
  std::string backup_id;
  absl::Time created;
  bool keep = true;
  std::string reason;
  // Set when only the Object Lock keeps it.
  absl::Time locked_until = absl::InfinitePast();
};

// Rules combine: a backup is kept when ANY rule keeps it. All zero = keep
// everything. Grandfather-father-son counts keep, for each of the most
// recent N days / ISO weeks / months / years that have a successful backup,
// the newest backup of that period (periods in the schedule's time zone).
// The newest successful backup is always kept, whatever the rules say.
struct RetentionRules {
  int keep_last = 0;
  absl::Duration keep_within = absl::ZeroDuration();
  int keep_daily = 0;
  int keep_weekly = 0;
  int keep_monthly = 0;
  int keep_yearly = 0;

  bool empty() const {
    return keep_last == 0 && keep_within == absl::ZeroDuration() && keep_daily == 0 &&
           keep_weekly == 0 && keep_monthly == 0 && keep_yearly == 0;
  }
  // Human form, e.g. "last 7, within 720h, daily 7, weekly 4".
  std::string ToString() const;
};

// Pure function of its inputs; thread-safe. Decisions come newest first,
// one per candidate.
class RetentionPolicy {
 public:
  RetentionPolicy(RetentionRules rules, absl::TimeZone zone) : rules_(rules), zone_(zone) {}
  std::vector<RetentionDecision> Plan(std::vector<RetentionCandidate> candidates,
                                      absl::Time now) const;
  const RetentionRules& rules() const { return rules_; }

 private:
  RetentionRules rules_;
  absl::TimeZone zone_;
};

}  // namespace dbdump
