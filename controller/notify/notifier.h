// Notifier: where the controller reports events people must hear about.
#pragma once

#include <map>
#include <string>

#include "absl/time/time.h"

namespace dbdump {

enum class NotificationEvent {
  kBackupFailed,
  kBackupSucceeded,
  kVerificationFailed,
  // The last good backup of a database is older than its schedule allows.
  kBackupStale,
  // Storage reconciliation found a catalogued backup's objects gone.
  kBackupMissing,
};

// "failure", "success", "verify_failure", "stale", "missing": the names operators
// select events by.
const char* NotificationEventName(NotificationEvent e);

// One event. Never carries a secret: only names, ids, times and errors the
// controller itself recorded (which never contain passwords or keys).
struct Notification {
  NotificationEvent event = NotificationEvent::kBackupFailed;
  std::string database;
  // One line, e.g. "backup of orders failed".
  std::string summary;
  // Details in a stable order (job, backup, error, ...).
  std::map<std::string, std::string> fields;
  absl::Time time;
};

// Interface. Notify must return at once (sending happens elsewhere);
// implementations are thread-safe.
class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual void Notify(const Notification& n) = 0;
};

}  // namespace dbdump
