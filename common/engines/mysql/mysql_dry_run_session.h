// MysqlDryRunSession: the restore session of a MySQL dry run.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/engines/engine.h"
#include "common/engines/line_scan_session.h"

namespace dbdump {
namespace mysql {

// A dry run: reads the whole dump, checks that it is one and counts its
// CREATE TABLE statements. Touches no database.
class MysqlDryRunSession : public RestoreSession {
 public:
  MysqlDryRunSession();
  Sink* sink() override { return &sink_; }
  absl::Status Finish() override;
  void Cancel() override {}
  uint32_t listed_entries() const override { return scan_.count(); }
  std::string summary() const override;

 private:
  // Keeps the first line (or its first 4 KiB) and passes everything on.
  class HeaderSink : public Sink {
   public:
    explicit HeaderSink(LineCounter* next) : next_(next) {}
    absl::Status Write(const char* data, size_t n) override {
      if (!have_first_) {
        absl::string_view chunk(data, n);
        size_t nl = chunk.find('\n');
        absl::StrAppend(&first_line, chunk.substr(0, nl));
        if (nl != absl::string_view::npos || first_line.size() >= 4096) have_first_ = true;
        if (first_line.size() > 4096) first_line.resize(4096);
      }
      return next_->Write(data, n);
    }
    absl::Status Finish() override {
      if (finished_) return absl::OkStatus();
      finished_ = true;
      return next_->Finish();
    }
    std::string first_line;

   private:
    LineCounter* next_;
    bool have_first_ = false;
    bool finished_ = false;
  };
  LineCounter scan_;
  HeaderSink sink_{&scan_};
};

}  // namespace mysql
}  // namespace dbdump
