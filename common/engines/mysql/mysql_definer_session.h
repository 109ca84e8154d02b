// DefinerSession: a MySQL restore whose stream passes MysqlDefinerFilter
// before it reaches the client.
#pragma once

#include <memory>
#include <string>

#include "common/engines/engine.h"
#include "common/engines/mysql/mysql_definer_filter.h"

namespace dbdump {
namespace mysql {

// Puts the filter in front of `inner`'s sink. A refused definer stops the
// stream before its statement is complete; Finish then ends the client
// without letting it run what it has and undoes the restore, so the error
// the caller sees is the filter's.
class DefinerSession : public RestoreSession {
 public:
  DefinerSession(std::unique_ptr<RestoreSession> inner, bool rewrite,
                 MysqlDefinerFilter::CheckFn check);
  Sink* sink() override { return &filter_; }
  absl::Status Finish() override;
  void Cancel() override { inner_->Cancel(); }
  uint32_t listed_entries() const override { return inner_->listed_entries(); }
  // "3 DEFINERs rewritten to CURRENT_USER" after a rewrite.
  std::string summary() const override;
  void Undo() override { inner_->Undo(); }

 private:
  std::unique_ptr<RestoreSession> inner_;
  bool rewrite_;
  MysqlDefinerFilter filter_;
};

}  // namespace mysql
}  // namespace dbdump
