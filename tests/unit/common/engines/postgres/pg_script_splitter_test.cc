#include "common/engines/postgres/pg_script_splitter.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace dbdump::pg {
namespace {

using Piece = PgScriptSplitter::Piece;

// Records pieces as "S:text" / "G:text" / "M:text" / "C:text" and checks
// every byte comes out exactly once.
class Recorder : public PgScriptSplitter::Handler {
 public:
  absl::Status OnBytes(Piece piece, absl::string_view bytes) override {
    all += std::string(bytes);
    if (!open || current != piece) {
      parts.push_back(std::string(1, Letter(piece)) + ":");
      current = piece;
      open = true;
    }
    parts.back() += std::string(bytes);
    return absl::OkStatus();
  }
  absl::Status OnEnd(Piece piece, const StatementInfo& info) override {
    if (!open || current != piece) parts.push_back(std::string(1, Letter(piece)) + ":");
    open = false;
    if (piece == Piece::kStatement) infos.push_back(info);
    return absl::OkStatus();
  }
  static char Letter(Piece p) {
    switch (p) {
      case Piece::kGap: return 'G';
      case Piece::kStatement: return 'S';
      case Piece::kMetaCommand: return 'M';
      case Piece::kCopyData: return 'C';
    }
    return '?';
  }
  std::vector<std::string> Statements() const {
    std::vector<std::string> out;
    for (const std::string& p : parts) {
      if (p[0] == 'S') out.push_back(p.substr(2));
    }
    return out;
  }
  std::string all;
  std::vector<std::string> parts;
  std::vector<StatementInfo> infos;
  Piece current = Piece::kGap;
  bool open = false;
};

// Splits `script` fed in pieces of `chunk` bytes (0 = whole).
Recorder Split(const std::string& script, size_t chunk = 0) {
  Recorder r;
  PgScriptSplitter s(&r);
  if (chunk == 0) chunk = script.size() + 1;
  for (size_t i = 0; i < script.size(); i += chunk) {
    EXPECT_TRUE(s.Feed(absl::string_view(script).substr(i, chunk)).ok());
  }
  EXPECT_TRUE(s.Finish().ok());
  EXPECT_EQ(r.all, script);
  return r;
}

const char kDump[] =
    "--\n-- PostgreSQL database dump\n--\n\n"
    "\\restrict abc123\n\n"
    "SET statement_timeout = 0;\n"
    "SELECT pg_catalog.set_config('search_path', '', false);\n"
    "CREATE TABLE public.t (id integer, note text DEFAULT 'a;b''c;'::text);\n"
    "ALTER TABLE public.t OWNER TO alice;\n"
    "CREATE FUNCTION public.f() RETURNS integer\n    LANGUAGE plpgsql\n"
    "    AS $_$\nBEGIN\n  -- GRANT ALL; ALTER TABLE x OWNER TO y;\n  RETURN 1;\nEND;\n$_$;\n"
    "ALTER FUNCTION public.f() OWNER TO \"Bob \"\" Smith\";\n"
    "CREATE FUNCTION public.g(a integer) RETURNS integer\n    LANGUAGE sql\n"
    "    BEGIN ATOMIC\n SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END;\n SELECT 3;\nEND;\n"
    "COPY public.t (id, note) FROM stdin;\n"
    "1\tALTER TABLE public.t OWNER TO mallory;\n"
    "2\t\\\\. not the end\n"
    "\\.\n\n"
    "/* block /* nested; */ still comment; */\n"
    "GRANT SELECT ON TABLE public.t TO reader;\n"
    "COMMENT ON TABLE public.t IS E'it''s \\'quoted\\'; really';\n"
    "\\unrestrict abc123\n";

TEST(PgScriptSplitterTest, SplitsAPgDumpScriptAsPsqlReadsIt) {
  Recorder r = Split(kDump);
  std::vector<std::string> st = r.Statements();
  ASSERT_EQ(st.size(), 10u) << r.parts.size();
  EXPECT_EQ(st[0], "SET statement_timeout = 0;");
  EXPECT_EQ(st[2], "CREATE TABLE public.t (id integer, note text DEFAULT 'a;b''c;'::text);");
  EXPECT_EQ(st[3], "ALTER TABLE public.t OWNER TO alice;");
  EXPECT_EQ(st[4].substr(0, 22), "CREATE FUNCTION public");
  EXPECT_NE(st[4].find("RETURN 1;\nEND;\n$_$;"), std::string::npos);
  EXPECT_EQ(st[5], "ALTER FUNCTION public.f() OWNER TO \"Bob \"\" Smith\";");
  EXPECT_NE(st[6].find("SELECT 3;\nEND;"), std::string::npos) << st[6];
  EXPECT_EQ(st[7], "COPY public.t (id, note) FROM stdin;");
  EXPECT_EQ(st[8], "GRANT SELECT ON TABLE public.t TO reader;");
  EXPECT_EQ(st[9], "COMMENT ON TABLE public.t IS E'it''s \\'quoted\\'; really';");
  // The COPY data is one piece, up to and including its "\." line.
  int copies = 0;
  for (const std::string& p : r.parts) {
    if (p[0] != 'C') continue;
    ++copies;
    EXPECT_EQ(p, "C:1\tALTER TABLE public.t OWNER TO mallory;\n2\t\\\\. not the end\n\\.\n");
  }
  EXPECT_EQ(copies, 1);
  int metas = 0;
  for (const std::string& p : r.parts) metas += p[0] == 'M';
  EXPECT_EQ(metas, 2);
  // Tokens: the owner statement's tail, unescaped names.
  const StatementInfo& owner = r.infos[5];
  ASSERT_EQ(owner.tail.size(), 3u);
  EXPECT_TRUE(owner.tail[0].IsWord("owner"));
  EXPECT_TRUE(owner.tail[1].IsWord("to"));
  EXPECT_EQ(owner.tail[2].kind, SqlToken::Kind::kQuotedName);
  EXPECT_EQ(owner.tail[2].text, "Bob \" Smith");
  EXPECT_TRUE(r.infos[8].head[0].IsWord("grant"));
}

TEST(PgScriptSplitterTest, AnySplitOfTheInputGivesTheSamePieces) {
  Recorder whole = Split(kDump);
  for (size_t chunk : {1, 2, 3, 5, 7, 64}) {
    Recorder r = Split(kDump, chunk);
    // Runs may be cut differently; joined per piece they are the same.
    std::vector<std::string> a, b;
    for (const std::string& p : whole.parts) a.push_back(p);
    for (const std::string& p : r.parts) {
      if (!b.empty() && b.back()[0] == p[0] && p[0] == 'G') {
        b.back() += p.substr(2);
      } else {
        b.push_back(p);
      }
    }
    EXPECT_EQ(a, b) << "chunk " << chunk;
  }
}

TEST(PgScriptSplitterTest, DollarQuotesParametersAndOperators) {
  Recorder r = Split(
      "SELECT $1 + $2;\n"
      "CREATE FUNCTION h() RETURNS text AS $fn$ SELECT 'x;' || $$;$$ $f $fn$ LANGUAGE sql;\n"
      "SELECT 1 - 2 / 3;\n"
      "SELECT a$b FROM t;\n");
  std::vector<std::string> st = r.Statements();
  ASSERT_EQ(st.size(), 4u);
  EXPECT_EQ(st[1], "CREATE FUNCTION h() RETURNS text AS $fn$ SELECT 'x;' || $$;$$ $f $fn$ LANGUAGE sql;");
  EXPECT_EQ(st[2], "SELECT 1 - 2 / 3;");
}

TEST(PgScriptSplitterTest, StatementWithoutSemicolonEndsWithTheScript) {
  Recorder r = Split("SELECT 1;\n-- c\nSELECT 2");
  std::vector<std::string> st = r.Statements();
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[1], "SELECT 2");
  EXPECT_EQ(r.infos.size(), 2u);
}

TEST(PgScriptSplitterTest, WholeScriptHelperKeepsLongHeads) {
  auto parts = SplitPgScript(
      "CREATE ROLE \"Ops\";\nALTER ROLE \"Ops\" WITH NOSUPERUSER INHERIT LOGIN PASSWORD "
      "'SCRAM-SHA-256$4096:abc';\n");
  ASSERT_TRUE(parts.ok());
  std::vector<const ScriptPart*> st;
  for (const ScriptPart& p : *parts) {
    if (p.piece == Piece::kStatement) st.push_back(&p);
  }
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0]->info.head[2].text, "Ops");
  EXPECT_EQ(st[1]->info.head.size(), 9u);
  EXPECT_TRUE(st[1]->info.head[7].IsWord("password"));
  EXPECT_EQ(st[1]->info.head[8].kind, SqlToken::Kind::kString);
}

}  // namespace
}  // namespace dbdump::pg
