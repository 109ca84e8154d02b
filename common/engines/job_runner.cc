#include "common/engines/job_runner.h"

#include <utility>

namespace dbdump {

PumpOptions JobRunner::MakePumpOptions(JobControl* tracker,
                                       std::function<uint64_t()> bytes_out) const {
  PumpOptions po;
  po.buffer_bytes = options_.buffer_bytes;
  po.buffers = options_.buffers;
  po.cancel = tracker->cancel_flag();
  po.on_progress = [tracker, bytes_out = std::move(bytes_out)](uint64_t in) {
    tracker->SetProgress(in, bytes_out());
  };
  return po;
}

}  // namespace dbdump
