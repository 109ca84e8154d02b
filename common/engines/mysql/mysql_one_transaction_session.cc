#include "common/engines/mysql/mysql_one_transaction_session.h"

#include "common/base/status_macros.h"

namespace dbdump {
namespace mysql {

absl::Status OneTransactionSession::Wrapper::Write(const char* data, size_t n) {
  RETURN_IF_ERROR(Begin());
  return next_->Write(data, n);
}

absl::Status OneTransactionSession::Wrapper::Finish() {
  if (finished_) return absl::OkStatus();
  finished_ = true;
  RETURN_IF_ERROR(Begin());
  static constexpr char kCommit[] = "\nCOMMIT;\n";
  RETURN_IF_ERROR(next_->Write(kCommit, sizeof kCommit - 1));
  return next_->Finish();
}

absl::Status OneTransactionSession::Wrapper::Begin() {
  if (begun_) return absl::OkStatus();
  begun_ = true;
  static constexpr char kBegin[] = "SET autocommit = 0;\n";
  return next_->Write(kBegin, sizeof kBegin - 1);
}

}  // namespace mysql
}  // namespace dbdump
