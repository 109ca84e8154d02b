// MongoDumpSession: a mongodump run and what its archive's prelude says.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/base/status_macros.h"
#include "common/engines/engine.h"
#include "common/engines/mongodb/mongo_archive_body.h"
#include "common/engines/mongodb/mongo_archive_prelude.h"
#include "common/engines/tool_session.h"
#include "common/process/process_runner.h"

namespace dbdump {
namespace mongo {

// The file name extension and the format name of a MongoDB dump.
inline constexpr char kExtension[] = "archive";
inline constexpr char kDumpFormat[] = "mongodump archive";

// A mongodump run: the tool's session, what the archive's prelude says, and
// how many documents of each collection the archive holds.
class MongoDumpSession : public DumpSession {
 public:
  MongoDumpSession(std::unique_ptr<ToolDumpSession> tool, Process* process, std::string desc,
                   std::string tool_version)
      : tool_(std::move(tool)),
        process_(process),
        source_(tool_->source(), &prelude_, &body_),
        desc_(std::move(desc)),
        tool_version_(std::move(tool_version)) {}
  Source* source() override { return &source_; }
  absl::Status Finish() override;
  void Cancel() override { tool_->Cancel(); }
  std::string server_version() const override {
    return prelude_.server_version().empty() ? "unknown" : prelude_.server_version();
  }
  std::string tool_version() const override {
    return prelude_.tool_version().empty() ? tool_version_ : prelude_.tool_version();
  }
  std::string extension() const override { return kExtension; }
  std::string dump_format() const override { return kDumpFormat; }
  std::vector<v1::TableInfo> tables() const override;

 private:
  // Forwards the dump's bytes unchanged while their prelude is read and
  // the documents after it are counted.
  class PreludeSource : public Source {
   public:
    PreludeSource(Source* from, MongoArchivePrelude* prelude, MongoArchiveBody* body)
        : from_(from), prelude_(prelude), body_(body) {}
    absl::StatusOr<size_t> Read(char* data, size_t n) override;

   private:
    Source* from_;
    MongoArchivePrelude* prelude_;
    MongoArchiveBody* body_;
  };

  std::unique_ptr<ToolDumpSession> tool_;
  Process* process_;  // owned by tool_
  MongoArchivePrelude prelude_;
  MongoArchiveBody body_;
  PreludeSource source_;
  std::string desc_;
  std::string tool_version_;
};

}  // namespace mongo
}  // namespace dbdump
