// PlainScriptFilter: leaves the source's owners and privileges out of a
// plain-format pg_dump script on its way to psql, as pg_restore's
// --no-owner and --no-privileges do for the custom format, and with a role
// given runs the script as that role (SET ROLE first, as pg_restore
// --role). Statements are recognised by the script's own lexical rules
// (PgScriptSplitter), never by matching lines, so COPY data, strings and
// function bodies that merely contain "GRANT" or "OWNER TO" pass untouched.
#pragma once

#include <cstdint>
#include <string>

#include "common/engines/postgres/pg_script_splitter.h"
#include "common/io/sink.h"

namespace dbdump::pg {

struct PlainFilterOptions {
  // Drops ALTER ... OWNER TO ... statements.
  bool drop_owners = false;
  // Drops GRANT, REVOKE and ALTER DEFAULT PRIVILEGES statements.
  bool drop_privileges = false;
  // When set, "SET ROLE <role>;" is sent before the script.
  std::string set_role;
  // An ALTER/GRANT/REVOKE statement is held whole until its end decides
  // whether it goes: larger ones are refused.
  size_t max_held_bytes = 64 << 20;
};

class PlainScriptFilter : public Sink, private PgScriptSplitter::Handler {
 public:
  PlainScriptFilter(Sink* next, PlainFilterOptions options);
  absl::Status Write(const char* data, size_t n) override;
  absl::Status Finish() override;

  uint64_t owners_dropped() const { return owners_dropped_; }
  uint64_t privileges_dropped() const { return privileges_dropped_; }

 private:
  enum class Mode { kUndecided, kPass, kHold };
  absl::Status OnBytes(PgScriptSplitter::Piece piece, absl::string_view bytes) override;
  absl::Status OnEnd(PgScriptSplitter::Piece piece, const StatementInfo& info) override;
  // Whether a statement starting with this word may be one that is left out.
  bool MayDrop(const SqlToken& first) const;
  absl::Status Hold(absl::string_view bytes);

  Sink* next_;
  PlainFilterOptions options_;
  PgScriptSplitter splitter_;
  bool started_ = false;
  Mode mode_ = Mode::kUndecided;
  std::string held_;
  uint64_t owners_dropped_ = 0;
  uint64_t privileges_dropped_ = 0;
};

}  // namespace dbdump::pg
