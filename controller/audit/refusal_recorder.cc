#include "controller/audit/refusal_recorder.h"

#include "absl/strings/str_cat.h"
#include "controller/audit/audit_log.h"

namespace dbdump {
namespace {

// Distinct callers are few (token and agent names, "anonymous"); past this
// many the memory of who was refused starts over.
constexpr size_t kMaxKeys = 10000;

}  // namespace

RefusalRecorder::RefusalRecorder(AuditLog* log, Clock* clock, absl::Duration window)
    : log_(log), clock_(clock), window_(window) {}

void RefusalRecorder::Record(AuditEntry entry) {
  absl::Time now = clock_->Now();
  {
    absl::MutexLock l(&mu_);
    if (seen_.size() >= kMaxKeys) seen_.clear();
    Seen& seen = seen_[absl::StrCat(entry.actor, "\n", entry.rpc, "\n", entry.outcome)];
    if (seen.last != absl::Time() && now - seen.last < window_) {
      ++seen.suppressed;
      return;
    }
    if (seen.suppressed > 0) {
      absl::StrAppend(&entry.detail, " (and ", seen.suppressed,
                      " more like it in the minute before, not recorded one by one)");
    }
    seen.last = now;
    seen.suppressed = 0;
  }
  log_->Record(std::move(entry));
}

}  // namespace dbdump
