#include "common/engines/mysql/mysql_definer_session.h"

#include "absl/strings/str_cat.h"

namespace dbdump {
namespace mysql {

DefinerSession::DefinerSession(std::unique_ptr<RestoreSession> inner, bool rewrite,
                               MysqlDefinerFilter::CheckFn check)
    : inner_(std::move(inner)),
      rewrite_(rewrite),
      filter_(MysqlDefinerFilter::Options{inner_->sink(), rewrite, std::move(check)}) {}

absl::Status DefinerSession::Finish() {
  // Idempotent: the caller usually finished the sink already.
  absl::Status flushed = filter_.Finish();
  if (!flushed.ok()) {
    // The client holds the start of a statement; closing its input would
    // let it run that. It is stopped instead, and what the restore
    // prepared is undone.
    inner_->Cancel();
    // Its error is the stop this asked for.
    (void)inner_->Finish();
    inner_->Undo();
    return flushed;
  }
  return inner_->Finish();
}

std::string DefinerSession::summary() const {
  std::string inner = inner_->summary();
  if (!rewrite_) return inner;
  uint64_t n = filter_.rewritten();
  std::string line = absl::StrCat(n, " DEFINER", n == 1 ? "" : "s", " rewritten to CURRENT_USER");
  return inner.empty() ? line : absl::StrCat(inner, "; ", line);
}

}  // namespace mysql
}  // namespace dbdump
