// UncommittedSink: the end of a chain that feeds an object writer but leaves
// committing it to the caller.
#pragma once

#include "common/storage/storage.h"

namespace dbdump {

// Forwards bytes to `writer` (not owned); Finish() does not commit it: the
// caller does (writer->Finish()) once it knows the object is good, e.g. the
// dump tool succeeded or the checksums matched. Not thread-safe.
class UncommittedSink : public Sink {
 public:
  explicit UncommittedSink(ObjectWriter* writer) : writer_(writer) {}
  absl::Status Write(const char* data, size_t n) override { return writer_->Write(data, n); }
  absl::Status Finish() override { return absl::OkStatus(); }

 private:
  ObjectWriter* writer_;
};

}  // namespace dbdump
