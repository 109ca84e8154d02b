// Clock: the time source schedulers, dispatchers and retention read, so tests
// can drive them with a fake clock instead of sleeping.
#pragma once

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace dbdump {

// Interface. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
};

// The machine's wall clock. Thread-safe.
class RealClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
};

// The wall clock for code that was given none. RealClock holds no state, so
// one shared instance is safe from any thread.
inline Clock* DefaultClock() {
  static RealClock clock;
  return &clock;
}

}  // namespace dbdump
