#include "common/engines/postgres/pg_plain_filter.h"

#include <string>

#include "gtest/gtest.h"

namespace dbdump::pg {
namespace {

class StringOut : public Sink {
 public:
  absl::Status Write(const char* data, size_t n) override {
    text.append(data, n);
    return absl::OkStatus();
  }
  absl::Status Finish() override {
    finished = true;
    return absl::OkStatus();
  }
  std::string text;
  bool finished = false;
};

const char kScript[] =
    "SET client_encoding = 'UTF8';\n"
    "CREATE TABLE public.t (id integer, note text);\n"
    "ALTER TABLE public.t OWNER TO alice;\n"
    "CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n"
    "GRANT SELECT ON public.t TO bob;\nEND $$;\n"
    "ALTER FUNCTION public.f() OWNER TO \"Alice\";\n"
    "COPY public.t (id, note) FROM stdin;\n"
    "1\tALTER TABLE public.t OWNER TO alice;\n"
    "2\tGRANT ALL ON public.t TO bob;\n"
    "\\.\n\n"
    "COPY public.notes (note) FROM stdin;\n"
    "ALTER TABLE public.t OWNER TO alice;\n"
    "GRANT ALL ON public.t TO bob;\n"
    "\\.\n"
    "ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);\n"
    "ALTER DEFAULT PRIVILEGES FOR ROLE alice GRANT SELECT ON TABLES TO bob;\n"
    "REVOKE ALL ON TABLE public.t FROM PUBLIC;\n"
    "GRANT SELECT ON TABLE public.t TO bob;\n"
    "COMMENT ON TABLE public.t IS 'GRANT x; ALTER TABLE t OWNER TO y;';\n";

std::string Filter(PlainFilterOptions o, size_t chunk) {
  StringOut out;
  PlainScriptFilter f(&out, std::move(o));
  std::string s = kScript;
  for (size_t i = 0; i < s.size(); i += chunk) {
    EXPECT_TRUE(f.Write(s.data() + i, std::min(chunk, s.size() - i)).ok());
  }
  EXPECT_TRUE(f.Finish().ok());
  EXPECT_TRUE(out.finished);
  return out.text;
}

TEST(PlainScriptFilterTest, LeavesOutOwnersAndPrivilegesOnly) {
  for (size_t chunk : {1, 3, 17, 4096}) {
    PlainFilterOptions o;
    o.drop_owners = true;
    o.drop_privileges = true;
    std::string out = Filter(o, chunk);
    EXPECT_EQ(out.find("OWNER TO alice;\nCREATE"), std::string::npos) << out;
    EXPECT_EQ(out.find("ALTER FUNCTION"), std::string::npos) << out;
    EXPECT_EQ(out.find("ALTER DEFAULT PRIVILEGES"), std::string::npos) << out;
    EXPECT_EQ(out.find("REVOKE ALL"), std::string::npos) << out;
    EXPECT_EQ(out.find("GRANT SELECT ON TABLE"), std::string::npos) << out;
    // What only reads like them stays: function body, COPY data, strings,
    // and other ALTER TABLE statements.
    EXPECT_NE(out.find("BEGIN\nGRANT SELECT ON public.t TO bob;\nEND $$;"), std::string::npos);
    EXPECT_NE(out.find("1\tALTER TABLE public.t OWNER TO alice;\n2\tGRANT ALL ON public.t TO bob;\n\\.\n"),
              std::string::npos);
    EXPECT_NE(out.find("FROM stdin;\nALTER TABLE public.t OWNER TO alice;\nGRANT ALL ON public.t TO bob;\n\\.\n"),
              std::string::npos) << out;
    EXPECT_NE(out.find("ADD CONSTRAINT t_pkey"), std::string::npos);
    EXPECT_NE(out.find("IS 'GRANT x; ALTER TABLE t OWNER TO y;';"), std::string::npos);
  }
}

TEST(PlainScriptFilterTest, EachOptionAlone) {
  PlainFilterOptions owners;
  owners.drop_owners = true;
  std::string out = Filter(owners, 5);
  EXPECT_EQ(out.find("ALTER FUNCTION"), std::string::npos);
  EXPECT_NE(out.find("GRANT SELECT ON TABLE public.t TO bob;"), std::string::npos);
  PlainFilterOptions privileges;
  privileges.drop_privileges = true;
  out = Filter(privileges, 5);
  EXPECT_NE(out.find("ALTER FUNCTION public.f() OWNER TO \"Alice\";"), std::string::npos);
  EXPECT_EQ(out.find("REVOKE ALL"), std::string::npos);
  // Nothing asked: the script passes byte for byte.
  EXPECT_EQ(Filter(PlainFilterOptions(), 7), kScript);
}

TEST(PlainScriptFilterTest, SetRoleComesFirstWithTheNameQuoted) {
  PlainFilterOptions o;
  o.drop_owners = true;
  o.set_role = "app \"owner\"";
  std::string out = Filter(o, 64);
  EXPECT_EQ(out.rfind("SET ROLE \"app \"\"owner\"\"\";\nSET client_encoding", 0), 0u) << out;
}

TEST(PlainScriptFilterTest, OversizedHeldStatementIsRefused) {
  StringOut out;
  PlainFilterOptions o;
  o.drop_privileges = true;
  o.max_held_bytes = 64;
  PlainScriptFilter f(&out, o);
  std::string grant = "GRANT SELECT ON TABLE " + std::string(100, 'x') + " TO bob;\n";
  absl::Status st = f.Write(grant.data(), grant.size());
  EXPECT_TRUE(absl::IsResourceExhausted(st)) << st;
}

}  // namespace
}  // namespace dbdump::pg
