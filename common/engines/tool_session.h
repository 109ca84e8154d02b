// Dump and restore sessions around one child process: the pieces every
// engine that runs a native tool (pg_dump, mariadb-dump, mongodump, ...)
// shares.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/engines/engine.h"
#include "common/engines/private_file.h"
#include "common/io/fd_io.h"
#include "common/io/line_counter.h"
#include "common/process/process_runner.h"

namespace dbdump {

// Turns a failed tool's exit code and stderr into a status that says what
// is wrong and what to do.
using ToolErrorFn = std::function<absl::Status(int exit_code, const std::string& stderr_tail)>;

// What a dump session reports about itself.
struct DumpInfo {
  std::string server_version;
  std::string tool_version;
  std::string extension;
  std::string dump_format;
  std::vector<dbdump::v1::TableInfo> tables;
};

// The tool's stdout is the dump. Private files (password files) are removed
// when the tool has ended.
class ToolDumpSession : public DumpSession {
 public:
  ToolDumpSession(std::unique_ptr<Process> p, std::vector<PrivateFile> files, ToolErrorFn on_error,
                  DumpInfo info);
  Source* source() override { return &source_; }
  absl::Status Finish() override;
  void Cancel() override { p_->Terminate(); }
  std::string server_version() const override { return info_.server_version; }
  std::string tool_version() const override { return info_.tool_version; }
  std::string extension() const override { return info_.extension; }
  std::string dump_format() const override { return info_.dump_format; }
  std::vector<dbdump::v1::TableInfo> tables() const override { return info_.tables; }

 private:
  std::unique_ptr<Process> p_;
  std::vector<PrivateFile> files_;
  FdSource source_;
  ToolErrorFn on_error_;
  DumpInfo info_;
};

// The dump is written to the tool's stdin. When `count_line` is set the
// tool's stdout is read on a thread of its own and every line for which it
// returns true counts as a listed entry (dry runs). `on_failure` undoes what
// the engine prepared (a created database) when the restore fails or is
// abandoned.
class ToolRestoreSession : public RestoreSession {
 public:
  struct Options {
    std::unique_ptr<Process> process;
    std::vector<PrivateFile> files;
    ToolErrorFn on_error;
    std::function<void()> on_failure;
    std::function<bool(absl::string_view line)> count_line;
    // "%d entries listed by pg_restore --list": %d is replaced.
    std::string summary_format;
  };
  explicit ToolRestoreSession(Options o);
  ~ToolRestoreSession() override;
  Sink* sink() override { return &in_; }
  absl::Status Finish() override;
  void Cancel() override { o_.process->Terminate(); }
  uint32_t listed_entries() const override { return entries_; }
  std::string summary() const override;
  void Undo() override;

 private:
  // Forwards to the tool's stdin. A listing tool may stop reading once it
  // has what it lists (pg_restore --list reads only the table of contents):
  // then the rest of the stream is still read, for the checksums, and
  // dropped; the tool's exit code decides.
  class Input : public Sink {
   public:
    Input(FdSink* to, bool tool_may_stop) : to_(to), tool_may_stop_(tool_may_stop) {}
    absl::Status Write(const char* data, size_t n) override;
    absl::Status Finish() override { return to_->Finish(); }

   private:
    FdSink* to_;
    bool tool_may_stop_;
    bool stopped_ = false;
  };

  Options o_;
  FdSink sink_;
  Input in_;
  std::thread reader_;
  uint32_t entries_ = 0;
  bool finished_ = false;
};

}  // namespace dbdump
