#include "common/engines/postgres/pg_plain_filter.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"

namespace dbdump::pg {

using Piece = PgScriptSplitter::Piece;

namespace {

// "name" with embedded quotes doubled: an identifier whatever it holds.
std::string QuoteIdent(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

bool IsOwnerStatement(const StatementInfo& info) {
  return !info.head.empty() && info.head[0].IsWord("alter") && info.tail.size() == 3 &&
         info.tail[0].IsWord("owner") && info.tail[1].IsWord("to") && info.tail[2].IsName();
}

bool IsPrivilegeStatement(const StatementInfo& info) {
  if (info.head.empty()) return false;
  if (info.head[0].IsWord("grant") || info.head[0].IsWord("revoke")) return true;
  return info.head.size() >= 3 && info.head[0].IsWord("alter") &&
         info.head[1].IsWord("default") && info.head[2].IsWord("privileges");
}

}  // namespace

PlainScriptFilter::PlainScriptFilter(Sink* next, PlainFilterOptions options)
    : next_(next), options_(std::move(options)), splitter_(this, 4) {}

absl::Status PlainScriptFilter::Write(const char* data, size_t n) {
  if (!started_) {
    started_ = true;
    if (!options_.set_role.empty()) {
      std::string set = absl::StrCat("SET ROLE ", QuoteIdent(options_.set_role), ";\n");
      RETURN_IF_ERROR(next_->Write(set.data(), set.size()));
    }
  }
  return splitter_.Feed(absl::string_view(data, n));
}

absl::Status PlainScriptFilter::Finish() {
  RETURN_IF_ERROR(splitter_.Finish());
  return next_->Finish();
}

bool PlainScriptFilter::MayDrop(const SqlToken& first) const {
  if (options_.drop_owners && first.IsWord("alter")) return true;
  return options_.drop_privileges &&
         (first.IsWord("grant") || first.IsWord("revoke") || first.IsWord("alter"));
}

absl::Status PlainScriptFilter::Hold(absl::string_view bytes) {
  if (held_.size() + bytes.size() > options_.max_held_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "an ALTER, GRANT or REVOKE statement of the plain-format script is larger than ",
        options_.max_held_bytes >> 20,
        " MiB and cannot be filtered: restore without --no-owner/--no-privileges/--owner"));
  }
  held_.append(bytes.data(), bytes.size());
  return absl::OkStatus();
}

absl::Status PlainScriptFilter::OnBytes(Piece piece, absl::string_view bytes) {
  if (piece != Piece::kStatement || mode_ == Mode::kPass) {
    return next_->Write(bytes.data(), bytes.size());
  }
  RETURN_IF_ERROR(Hold(bytes));
  if (mode_ == Mode::kUndecided) {
    const SqlToken* first = splitter_.first_token();
    if (first == nullptr) return absl::OkStatus();
    if (MayDrop(*first)) {
      mode_ = Mode::kHold;
    } else {
      mode_ = Mode::kPass;
      std::string held = std::move(held_);
      held_.clear();
      return next_->Write(held.data(), held.size());
    }
  }
  return absl::OkStatus();
}

absl::Status PlainScriptFilter::OnEnd(Piece piece, const StatementInfo& info) {
  if (piece != Piece::kStatement) return absl::OkStatus();
  Mode mode = mode_;
  mode_ = Mode::kUndecided;
  std::string held = std::move(held_);
  held_.clear();
  if (mode == Mode::kPass) return absl::OkStatus();
  if (options_.drop_owners && IsOwnerStatement(info)) {
    ++owners_dropped_;
    return absl::OkStatus();
  }
  if (options_.drop_privileges && IsPrivilegeStatement(info)) {
    ++privileges_dropped_;
    return absl::OkStatus();
  }
  return next_->Write(held.data(), held.size());
}

}  // namespace dbdump::pg
