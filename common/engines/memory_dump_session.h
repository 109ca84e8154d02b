// A dump produced in memory by the engine itself rather than by a tool (a
// PostgreSQL database's settings document).
#pragma once

#include <string>
#include <utility>

#include "common/engines/engine.h"
#include "common/engines/tool_session.h"
#include "common/io/memory_io.h"

namespace dbdump {

class MemoryDumpSession : public DumpSession {
 public:
  MemoryDumpSession(std::string bytes, DumpInfo info)
      : source_(std::move(bytes)), info_(std::move(info)) {}
  Source* source() override { return &source_; }
  absl::Status Finish() override { return absl::OkStatus(); }
  void Cancel() override {}
  std::string server_version() const override { return info_.server_version; }
  std::string tool_version() const override { return info_.tool_version; }
  std::string extension() const override { return info_.extension; }
  std::string dump_format() const override { return info_.dump_format; }

 private:
  MemorySource source_;
  DumpInfo info_;
};

}  // namespace dbdump
