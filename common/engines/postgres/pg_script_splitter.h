// PgScriptSplitter: splits a PostgreSQL SQL script into the pieces psql
// reads it as (statements, COPY data, meta-command lines and what lies
// between them), streaming, so that a restore can leave statements out of
// a plain pg_dump script (owners, privileges) and dbdump can apply a
// pg_dumpall globals script statement by statement.
//
// It follows psql's own lexical rules as far as a script written by pg_dump
// or pg_dumpall needs: standard and E'' strings, quoted identifiers, dollar
// quoting, nested block comments, line comments, parentheses, the BEGIN
// ATOMIC ... END bodies of SQL-standard functions (psql's heuristic: inside
// CREATE [OR REPLACE] FUNCTION/PROCEDURE, BEGIN and CASE open a block that
// END closes), COPY ... FROM stdin data up to "\.", and backslash
// meta-command lines (\connect, \restrict) between statements.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dbdump::pg {

// A token of a statement, as far as the splitter keeps it.
struct SqlToken {
  enum class Kind {
    kWord,        // unquoted identifier or keyword, lowercased
    kQuotedName,  // "..." identifier, unescaped
    kString,      // string constant as written, quotes included
    kNumber,
    kOther,       // one punctuation or operator character
  };
  Kind kind = Kind::kOther;
  std::string text;

  bool IsWord(absl::string_view w) const { return kind == Kind::kWord && text == w; }
  // A name: an unquoted word or a quoted identifier.
  bool IsName() const { return kind == Kind::kWord || kind == Kind::kQuotedName; }
};

// What the splitter saw of a statement.
struct StatementInfo {
  // The statement's first tokens (up to the splitter's head_tokens).
  std::vector<SqlToken> head;
  // Its last three tokens before the terminating ';' (fewer if it is short).
  std::vector<SqlToken> tail;
  // The head was cut at head_tokens.
  bool head_truncated = false;
};

class PgScriptSplitter {
 public:
  enum class Piece {
    kGap,          // whitespace and comments between statements
    kStatement,    // from its first token to its ';' included
    kMetaCommand,  // a backslash command line, newline included
    kCopyData,     // the lines after COPY ... FROM stdin, "\." line included
  };

  // Receives every byte of the script exactly once, in order: runs of the
  // piece in progress (OnBytes, possibly several per piece) and the end of
  // each statement, meta-command line or COPY data block (OnEnd; `info` is
  // filled for statements only). An error stops the splitter and is
  // returned by Feed/Finish.
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual absl::Status OnBytes(Piece piece, absl::string_view bytes) = 0;
    virtual absl::Status OnEnd(Piece piece, const StatementInfo& info) = 0;
  };

  // Keeps the first `head_tokens` tokens of each statement.
  explicit PgScriptSplitter(Handler* handler, size_t head_tokens = 16);

  absl::Status Feed(absl::string_view bytes);
  // Ends the script: a statement without its ';' ends here (psql runs it).
  absl::Status Finish();

  // The first token of the statement in progress, once it is complete; null
  // before. Valid during OnBytes.
  const SqlToken* first_token() const {
    return statement_.head.empty() ? nullptr : &statement_.head.front();
  }

 private:
  enum class Lex {
    kNormal,
    kWord,
    kNumber,
    kDash,          // '-' seen: a comment if another follows
    kSlash,         // '/' seen: a comment if '*' follows
    kLineComment,
    kBlockComment,
    kBlockSlash,    // '/' in a block comment: nesting if '*' follows
    kBlockStar,     // '*' in a block comment: its end if '/' follows
    kString,        // '...'
    kStringQuote,   // a quote in a string: its end unless another follows
    kEString,       // E'...'
    kEStringEscape,
    kEStringQuote,
    kQuotedName,
    kQuotedNameQuote,
    kDollarTag,     // '$' seen, collecting a tag
    kDollarBody,
    kMetaCommand,
    kCopyLineStart,
    kCopyLine,
    kAfterCopy,     // rest of the COPY statement's line
  };

  absl::Status Step(char c);
  // Appends `c` to the output as part of `piece`, flushing on a change.
  absl::Status Emit(Piece piece, char c);
  absl::Status Flush();
  absl::Status EndPiece(Piece piece);
  // A statement starts (the first byte of its first token).
  absl::Status StartStatement();
  absl::Status EndStatement();
  void AddToken(SqlToken::Kind kind, std::string text);
  // The piece a byte of the current lexical context belongs to.
  Piece Current() const { return in_statement_ ? Piece::kStatement : Piece::kGap; }

  Handler* handler_;
  size_t head_tokens_;
  absl::Status error_;
  Lex lex_ = Lex::kNormal;
  // A '-' or '/' before we know whether it starts a comment.
  bool held_ = false;
  char held_char_ = 0;
  Lex held_from_ = Lex::kNormal;
  bool in_statement_ = false;
  std::string out_;
  Piece out_piece_ = Piece::kGap;
  StatementInfo statement_;
  std::vector<SqlToken> last_;  // last three tokens
  std::string word_;
  std::string dollar_tag_;
  std::string dollar_close_;
  size_t dollar_match_ = 0;
  int comment_depth_ = 0;
  int paren_depth_ = 0;
  int begin_depth_ = 0;
  size_t words_seen_ = 0;
  // Initials of the first four words when they are CREATE, OR, REPLACE,
  // FUNCTION or PROCEDURE (psql's heuristic), else 0.
  char lead_[4] = {0, 0, 0, 0};
  bool function_body_ = false;  // CREATE [OR REPLACE] FUNCTION/PROCEDURE
  std::string copy_line_;       // the start of a COPY data line
};

// One piece of a script held whole (SplitPgScript).
struct ScriptPart {
  PgScriptSplitter::Piece piece;
  std::string text;
  StatementInfo info;
};

// Splits a whole script; `head_tokens` as for PgScriptSplitter.
absl::StatusOr<std::vector<ScriptPart>> SplitPgScript(absl::string_view script,
                                                      size_t head_tokens = 64);

}  // namespace dbdump::pg
