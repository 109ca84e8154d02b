// Shows the progress of a followed job as
// "<state> in=<bytes> out=<bytes> <elapsed>s". On a terminal each update
// overwrites the line in place with '\r'; otherwise (a log, a pipe) a line is
// printed only when the state changes or at most every `min_interval`, so logs
// stay short. Not thread-safe.
#pragma once

#include <functional>
#include <ostream>
#include <string>

#include "absl/time/time.h"
#include "dbdump/v1/controller_service.pb.h"

namespace dbdump {

class ProgressPrinter {
 public:
  struct Options {
    std::ostream* out = nullptr;
    // Overwrite the line in place (stdout is a terminal).
    bool overwrite = false;
    std::function<absl::Time()> now;
    absl::Duration min_interval = absl::Seconds(2);
  };

  explicit ProgressPrinter(Options options);

  void Update(const v1::Job& job);
  // Ends an overwritten line so what follows starts on a fresh one.
  void Finish();

  static std::string Line(const v1::Job& job);

 private:
  Options options_;
  bool printed_ = false;
  v1::JobState last_state_ = v1::JOB_STATE_UNSPECIFIED;
  absl::Time last_print_ = absl::InfinitePast();
  size_t last_width_ = 0;
};

}  // namespace dbdump
