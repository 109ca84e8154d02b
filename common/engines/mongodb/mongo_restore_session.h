// MongoRestoreSession: a mongorestore run behind a gate that checks the
// archive's prelude first.
#pragma once

#include <memory>
#include <set>
#include <string>

#include "common/engines/engine.h"
#include "common/engines/mongodb/mongo_archive_prelude.h"
#include "common/engines/tool_session.h"
#include "common/process/process_runner.h"

namespace dbdump {
namespace mongo {

// What a restore may find in the archive: the databases the manifest lists
// (their collections were recorded from the same prelude at backup time), or,
// when it lists none, only the target database.
struct ArchiveExpectation {
  std::set<std::string> source_dbs;
  std::string target_db;
};

// A mongorestore run. The archive's prelude is held back and checked before
// mongorestore sees a byte. mongorestore --dryRun reads only the prelude and
// exits: the rest of the stream is then still read (for the checksums) and
// dropped, and the tool's exit code decides.
class MongoRestoreSession : public RestoreSession {
 public:
  MongoRestoreSession(std::unique_ptr<ToolRestoreSession> tool, Process* process, bool dry_run,
                      ArchiveExpectation want, std::string desc)
      : tool_(std::move(tool)),
        process_(process),
        dry_run_(dry_run),
        gate_(this),
        want_(std::move(want)),
        desc_(std::move(desc)) {}
  Sink* sink() override { return &gate_; }
  absl::Status Finish() override;
  void Cancel() override { tool_->Cancel(); }
  uint32_t listed_entries() const override {
    return dry_run_ ? static_cast<uint32_t>(prelude_.namespaces().size()) : 0;
  }
  std::string summary() const override;

 private:
  // Holds the archive's prelude back until it is complete and checked.
  class Gate : public Sink {
   public:
    explicit Gate(MongoRestoreSession* s) : s_(s) {}
    absl::Status Write(const char* data, size_t n) override;
    absl::Status Finish() override;

   private:
    absl::Status Forward(const char* data, size_t n);
    MongoRestoreSession* s_;
    std::string held_;
    bool released_ = false;
    bool tool_stopped_ = false;
  };

  std::unique_ptr<ToolRestoreSession> tool_;
  Process* process_;  // owned by tool_
  bool dry_run_;
  MongoArchivePrelude prelude_;
  Gate gate_;
  ArchiveExpectation want_;
  std::string desc_;
};

}  // namespace mongo
}  // namespace dbdump
