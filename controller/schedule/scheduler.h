// Scheduler: turns due schedules into queued backup jobs.
#pragma once

#include <functional>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "common/base/clock.h"
#include "controller/retention/backup_maintainer.h"
#include "controller/dispatch/dispatcher.h"
#include "controller/store/store.h"

namespace dbdump {

struct SchedulerOptions {
  // How often the background thread looks for due schedules.
  absl::Duration tick = absl::Seconds(1);
  // Not owned; a RealClock when null.
  Clock* clock = nullptr;
  // Runs due verifications; none when null. Not owned.
  BackupMaintainer* maintainer = nullptr;
  // Called at the end of every pass of the background thread (e.g. the
  // stale-backup check); must not block for long.
  std::function<void(absl::Time now)> on_tick;
};

// Each pass queues one backup per due schedule, however many of its slots
// passed (a controller that was down runs a missed schedule once, not once
// per missed slot), and moves the schedule to its next slot after now, in
// the same store transaction as the job: a slot is never run twice, even
// across a crash. Thread-safe; Tick may be called directly (tests).
class Scheduler {
 public:
  Scheduler(Store* store, Dispatcher* dispatcher, SchedulerOptions options);
  ~Scheduler();

  // One pass (backups, then verifications); returns how many jobs it queued.
  absl::StatusOr<int> Tick();
  // Runs Tick every `tick` on a thread until Stop.
  void Start();
  void Stop();

  // The first run of `schedule` strictly after `after`.
  static absl::StatusOr<absl::Time> NextRun(const dbdump::v1::Schedule& schedule, absl::Time after);
  // The first verification of `schedule` after `after`; empty without verify_cron.
  static absl::StatusOr<std::string> NextVerify(const dbdump::v1::Schedule& schedule,
                                                absl::Time after);
  static BackupSettings SettingsOf(const dbdump::v1::Schedule& schedule);

 private:
  Store* store_;
  Dispatcher* dispatcher_;
  SchedulerOptions options_;
  RealClock real_clock_;
  Clock* clock_;
  absl::Notification stop_;
  std::unique_ptr<std::thread> thread_;
};

}  // namespace dbdump
