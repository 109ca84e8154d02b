#include "common/engines/postgres/pg_script_splitter.h"

#include <utility>

#include "absl/status/statusor.h"
#include "common/base/status_macros.h"

namespace dbdump::pg {
namespace {

// Output runs are handed on at this size at the latest.
constexpr size_t kRunBytes = 64 << 10;
// Token texts are kept for recognising statements, not for their content:
// longer strings and names are cut here.
constexpr size_t kTokenTextBytes = 256;

bool IsWordStart(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || u >= 0x80;
}
bool IsWordChar(char c) { return IsWordStart(c) || (c >= '0' && c <= '9') || c == '$'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

void AppendCapped(std::string* s, char c) {
  if (s->size() < kTokenTextBytes) s->push_back(c);
}

}  // namespace

PgScriptSplitter::PgScriptSplitter(Handler* handler, size_t head_tokens)
    : handler_(handler), head_tokens_(head_tokens) {}

absl::Status PgScriptSplitter::Feed(absl::string_view bytes) {
  RETURN_IF_ERROR(error_);
  for (char c : bytes) {
    absl::Status st = Step(c);
    if (!st.ok()) {
      error_ = st;
      return st;
    }
  }
  error_ = Flush();
  return error_;
}

absl::Status PgScriptSplitter::Finish() {
  RETURN_IF_ERROR(error_);
  auto finish = [&]() -> absl::Status {
    switch (lex_) {
      case Lex::kDash:
      case Lex::kSlash:
        // A lone '-' or '/' at the very end: an operator of a statement.
        if (!in_statement_) RETURN_IF_ERROR(StartStatement());
        RETURN_IF_ERROR(Emit(Piece::kStatement, held_char_));
        AddToken(SqlToken::Kind::kOther, std::string(1, held_char_));
        break;
      case Lex::kWord:
        AddToken(SqlToken::Kind::kWord, word_);
        break;
      case Lex::kNumber:
        AddToken(SqlToken::Kind::kNumber, word_);
        break;
      case Lex::kStringQuote:
      case Lex::kEStringQuote:
        AddToken(SqlToken::Kind::kString, word_);
        break;
      case Lex::kQuotedNameQuote:
        AddToken(SqlToken::Kind::kQuotedName, word_);
        break;
      case Lex::kMetaCommand:
        lex_ = Lex::kNormal;
        return EndPiece(Piece::kMetaCommand);
      case Lex::kCopyLineStart:
      case Lex::kCopyLine:
        lex_ = Lex::kNormal;
        return EndPiece(Piece::kCopyData);
      default:
        break;
    }
    lex_ = Lex::kNormal;
    if (in_statement_) return EndStatement();
    return Flush();
  };
  absl::Status st = finish();
  // Nothing may follow.
  error_ = st.ok() ? absl::FailedPreconditionError("the script has already ended") : st;
  return st;
}

absl::Status PgScriptSplitter::Emit(Piece piece, char c) {
  if (piece != out_piece_ && !out_.empty()) RETURN_IF_ERROR(Flush());
  out_piece_ = piece;
  out_.push_back(c);
  if (out_.size() >= kRunBytes) return Flush();
  return absl::OkStatus();
}

absl::Status PgScriptSplitter::Flush() {
  if (out_.empty()) return absl::OkStatus();
  absl::Status st = handler_->OnBytes(out_piece_, out_);
  out_.clear();
  return st;
}

absl::Status PgScriptSplitter::EndPiece(Piece piece) {
  RETURN_IF_ERROR(Flush());
  static const StatementInfo kNone;
  return handler_->OnEnd(piece, kNone);
}

absl::Status PgScriptSplitter::StartStatement() {
  RETURN_IF_ERROR(Flush());
  in_statement_ = true;
  statement_ = StatementInfo();
  last_.clear();
  paren_depth_ = 0;
  begin_depth_ = 0;
  words_seen_ = 0;
  for (char& l : lead_) l = 0;
  function_body_ = false;
  return absl::OkStatus();
}

absl::Status PgScriptSplitter::EndStatement() {
  RETURN_IF_ERROR(Flush());
  statement_.tail = last_;
  in_statement_ = false;
  bool copy_from_stdin = !statement_.head.empty() && statement_.head[0].IsWord("copy") &&
                         last_.size() >= 2 && last_[last_.size() - 2].IsWord("from") &&
                         last_.back().IsWord("stdin");
  absl::Status st = handler_->OnEnd(Piece::kStatement, statement_);
  lex_ = copy_from_stdin ? Lex::kAfterCopy : Lex::kNormal;
  return st;
}

void PgScriptSplitter::AddToken(SqlToken::Kind kind, std::string text) {
  SqlToken t{kind, std::move(text)};
  if (kind == SqlToken::Kind::kWord) {
    // psql's rule for semicolons inside BEGIN ATOMIC ... END: only in
    // CREATE [OR REPLACE] FUNCTION/PROCEDURE, outside parentheses.
    static constexpr const char* kLead[] = {"create", "or", "replace", "function", "procedure"};
    char initial = 0;
    for (const char* w : kLead) {
      if (t.text == w) initial = w[0];
    }
    if (words_seen_ < 4) lead_[words_seen_] = initial;
    ++words_seen_;
    function_body_ = lead_[0] == 'c' &&
                     (lead_[1] == 'f' || lead_[1] == 'p' ||
                      (lead_[1] == 'o' && lead_[2] == 'r' && (lead_[3] == 'f' || lead_[3] == 'p')));
    if (function_body_ && paren_depth_ == 0) {
      if (t.text == "begin") {
        ++begin_depth_;
      } else if (t.text == "case") {
        if (begin_depth_ >= 1) ++begin_depth_;
      } else if (t.text == "end") {
        if (begin_depth_ > 0) --begin_depth_;
      }
    }
  }
  if (statement_.head.size() < head_tokens_) {
    statement_.head.push_back(t);
  } else {
    statement_.head_truncated = true;
  }
  last_.push_back(std::move(t));
  if (last_.size() > 3) last_.erase(last_.begin());
}

absl::Status PgScriptSplitter::Step(char c) {
  switch (lex_) {
    case Lex::kNormal:
      if (IsSpace(c)) return Emit(Current(), c);
      if (c == '-' || c == '/') {
        held_char_ = c;
        lex_ = c == '-' ? Lex::kDash : Lex::kSlash;
        return absl::OkStatus();
      }
      if (c == '\\' && !in_statement_) {
        lex_ = Lex::kMetaCommand;
        RETURN_IF_ERROR(Flush());
        return Emit(Piece::kMetaCommand, c);
      }
      if (!in_statement_) RETURN_IF_ERROR(StartStatement());
      RETURN_IF_ERROR(Emit(Piece::kStatement, c));
      if (IsWordStart(c)) {
        lex_ = Lex::kWord;
        word_.assign(1, Lower(c));
      } else if (IsDigit(c)) {
        lex_ = Lex::kNumber;
        word_.assign(1, c);
      } else if (c == '\'') {
        lex_ = Lex::kString;
        word_.assign(1, c);
      } else if (c == '"') {
        lex_ = Lex::kQuotedName;
        word_.clear();
      } else if (c == '$') {
        lex_ = Lex::kDollarTag;
        dollar_tag_.clear();
      } else if (c == ';' && paren_depth_ <= 0 && begin_depth_ == 0) {
        return EndStatement();
      } else {
        if (c == '(') ++paren_depth_;
        if (c == ')') --paren_depth_;
        AddToken(SqlToken::Kind::kOther, std::string(1, c));
      }
      return absl::OkStatus();

    case Lex::kDash:
    case Lex::kSlash: {
      bool comment = (lex_ == Lex::kDash && c == '-') || (lex_ == Lex::kSlash && c == '*');
      if (comment) {
        RETURN_IF_ERROR(Emit(Current(), held_char_));
        lex_ = lex_ == Lex::kDash ? Lex::kLineComment : Lex::kBlockComment;
        comment_depth_ = 1;
        return Emit(Current(), c);
      }
      // An operator: it starts or continues a statement.
      if (!in_statement_) RETURN_IF_ERROR(StartStatement());
      RETURN_IF_ERROR(Emit(Piece::kStatement, held_char_));
      AddToken(SqlToken::Kind::kOther, std::string(1, held_char_));
      lex_ = Lex::kNormal;
      return Step(c);
    }

    case Lex::kLineComment:
      if (c == '\n') lex_ = Lex::kNormal;
      return Emit(Current(), c);

    case Lex::kBlockComment:
      if (c == '/') lex_ = Lex::kBlockSlash;
      if (c == '*') lex_ = Lex::kBlockStar;
      return Emit(Current(), c);

    case Lex::kBlockSlash:
      lex_ = Lex::kBlockComment;
      if (c == '*') {
        ++comment_depth_;
        return Emit(Current(), c);
      }
      return Step(c);

    case Lex::kBlockStar:
      if (c == '/') {
        lex_ = --comment_depth_ == 0 ? Lex::kNormal : Lex::kBlockComment;
        return Emit(Current(), c);
      }
      lex_ = Lex::kBlockComment;
      return Step(c);

    case Lex::kWord:
      if (IsWordChar(c)) {
        AppendCapped(&word_, Lower(c));
        return Emit(Piece::kStatement, c);
      }
      if (c == '\'' && word_ == "e") {
        // E'...': backslash escapes.
        lex_ = Lex::kEString;
        word_ = "E'";
        return Emit(Piece::kStatement, c);
      }
      AddToken(SqlToken::Kind::kWord, std::move(word_));
      lex_ = Lex::kNormal;
      return Step(c);

    case Lex::kNumber:
      if (IsDigit(c) || c == '.' || IsWordStart(c)) {
        AppendCapped(&word_, c);
        return Emit(Piece::kStatement, c);
      }
      AddToken(SqlToken::Kind::kNumber, std::move(word_));
      lex_ = Lex::kNormal;
      return Step(c);

    case Lex::kString:
      AppendCapped(&word_, c);
      if (c == '\'') lex_ = Lex::kStringQuote;
      return Emit(Piece::kStatement, c);

    case Lex::kStringQuote:
      if (c == '\'') {
        AppendCapped(&word_, c);
        lex_ = Lex::kString;
        return Emit(Piece::kStatement, c);
      }
      AddToken(SqlToken::Kind::kString, std::move(word_));
      lex_ = Lex::kNormal;
      return Step(c);

    case Lex::kEString:
      AppendCapped(&word_, c);
      if (c == '\\') lex_ = Lex::kEStringEscape;
      if (c == '\'') lex_ = Lex::kEStringQuote;
      return Emit(Piece::kStatement, c);

    case Lex::kEStringEscape:
      AppendCapped(&word_, c);
      lex_ = Lex::kEString;
      return Emit(Piece::kStatement, c);

    case Lex::kEStringQuote:
      if (c == '\'') {
        AppendCapped(&word_, c);
        lex_ = Lex::kEString;
        return Emit(Piece::kStatement, c);
      }
      AddToken(SqlToken::Kind::kString, std::move(word_));
      lex_ = Lex::kNormal;
      return Step(c);

    case Lex::kQuotedName:
      if (c == '"') {
        lex_ = Lex::kQuotedNameQuote;
      } else {
        AppendCapped(&word_, c);
      }
      return Emit(Piece::kStatement, c);

    case Lex::kQuotedNameQuote:
      if (c == '"') {
        AppendCapped(&word_, c);
        lex_ = Lex::kQuotedName;
        return Emit(Piece::kStatement, c);
      }
      AddToken(SqlToken::Kind::kQuotedName, std::move(word_));
      lex_ = Lex::kNormal;
      return Step(c);

    case Lex::kDollarTag:
      if (IsWordStart(c) || (IsDigit(c) && !dollar_tag_.empty())) {
        dollar_tag_.push_back(c);
        return Emit(Piece::kStatement, c);
      }
      if (c == '$') {
        dollar_close_ = "$" + dollar_tag_ + "$";
        dollar_match_ = 0;
        lex_ = Lex::kDollarBody;
        return Emit(Piece::kStatement, c);
      }
      // "$1" and the like: a parameter or operator, not a quote.
      AddToken(SqlToken::Kind::kOther, "$" + dollar_tag_);
      lex_ = Lex::kNormal;
      return Step(c);

    case Lex::kDollarBody:
      if (c == dollar_close_[dollar_match_]) {
        if (++dollar_match_ == dollar_close_.size()) {
          AddToken(SqlToken::Kind::kString, dollar_close_ + "..." + dollar_close_);
          lex_ = Lex::kNormal;
        }
      } else {
        dollar_match_ = c == '$' ? 1 : 0;
      }
      return Emit(Piece::kStatement, c);

    case Lex::kMetaCommand:
      RETURN_IF_ERROR(Emit(Piece::kMetaCommand, c));
      if (c != '\n') return absl::OkStatus();
      lex_ = Lex::kNormal;
      return EndPiece(Piece::kMetaCommand);

    case Lex::kAfterCopy:
      RETURN_IF_ERROR(Emit(Piece::kGap, c));
      if (c == '\n') {
        lex_ = Lex::kCopyLineStart;
        copy_line_.clear();
      }
      return absl::OkStatus();

    case Lex::kCopyLineStart:
    case Lex::kCopyLine:
      RETURN_IF_ERROR(Emit(Piece::kCopyData, c));
      if (c != '\n') {
        if (copy_line_.size() < 3) copy_line_.push_back(c);
        lex_ = Lex::kCopyLine;
        return absl::OkStatus();
      }
      if (copy_line_ == "\\." || copy_line_ == "\\.\r") {
        lex_ = Lex::kNormal;
        return EndPiece(Piece::kCopyData);
      }
      copy_line_.clear();
      lex_ = Lex::kCopyLineStart;
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

namespace {

class Collector : public PgScriptSplitter::Handler {
 public:
  absl::Status OnBytes(PgScriptSplitter::Piece piece, absl::string_view bytes) override {
    if (open_ && parts_.back().piece == piece) {
      parts_.back().text.append(bytes.data(), bytes.size());
    } else {
      parts_.push_back({piece, std::string(bytes), {}});
      open_ = true;
    }
    return absl::OkStatus();
  }
  absl::Status OnEnd(PgScriptSplitter::Piece piece, const StatementInfo& info) override {
    if (!open_ || parts_.back().piece != piece) parts_.push_back({piece, "", {}});
    parts_.back().info = info;
    open_ = false;
    return absl::OkStatus();
  }
  std::vector<ScriptPart> Take() { return std::move(parts_); }

 private:
  std::vector<ScriptPart> parts_;
  bool open_ = false;
};

}  // namespace

absl::StatusOr<std::vector<ScriptPart>> SplitPgScript(absl::string_view script,
                                                      size_t head_tokens) {
  Collector collector;
  PgScriptSplitter splitter(&collector, head_tokens);
  RETURN_IF_ERROR(splitter.Feed(script));
  RETURN_IF_ERROR(splitter.Finish());
  return collector.Take();
}

}  // namespace dbdump::pg
