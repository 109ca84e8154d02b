// MysqlDefinerFilter and MysqlAccounts: the DEFINER clauses of dumps found,
// checked and rewritten, whatever the Write boundaries, and nothing else
// touched.
#include "common/engines/mysql/mysql_definer_filter.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/engines/mysql/mysql_accounts.h"
#include "gtest/gtest.h"
#include "tests/fakes/string_io.h"

namespace dbdump {
namespace mysql {
namespace {

// What mariadb-dump and mysqldump write for a view, a trigger, an event, a
// procedure and a function.
constexpr char kDump[] = R"sql(/*!40101 SET NAMES utf8mb4 */;
/*!50001 DROP VIEW IF EXISTS `v`*/;
/*!50001 CREATE ALGORITHM=UNDEFINED */
/*!50013 DEFINER=`alice`@`%` SQL SECURITY DEFINER */
/*!50001 VIEW `v` AS select `t`.`definer` AS `definer` from `t` */;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`alice`@`%`*/ /*!50003 TRIGGER t_ai AFTER INSERT ON t FOR EACH ROW INSERT INTO log VALUES ('DEFINER=`x`@`y`') */;;
/*!50106 CREATE*/ /*!50117 DEFINER=`alice`@`%`*/ /*!50106 EVENT `ev` ON SCHEDULE EVERY 1 DAY DO DELETE FROM log */ ;;
CREATE DEFINER=`alice`@`%` PROCEDURE `p`()
BEGIN
  -- DEFINER=`in`@`comment`
  SELECT * FROM t WHERE definer = 'bob'; # CREATE DEFINER=`x`@`y`
END ;;
CREATE DEFINER=`alice`@`%` FUNCTION `f`(x INT) RETURNS int(11)
    DETERMINISTIC
RETURN x + 1 ;;
DELIMITER ;
)sql";

struct Result {
  absl::Status status;
  std::string out;
  std::vector<std::string> seen;  // DescribeDefiner of every checked account
  uint64_t rewritten = 0;
};

// Feeds `in` in the pieces `cuts` makes (offsets, ascending).
Result Feed(const std::string& in, bool rewrite, const std::vector<size_t>& cuts,
           const std::string& refuse = "") {
  StringSink sink;
  Result r;
  MysqlDefinerFilter::Options o;
  o.next = &sink;
  o.rewrite = rewrite;
  o.check = [&r, refuse](const DefinerAccount& a) {
    r.seen.push_back(DescribeDefiner(a));
    if (DescribeDefiner(a) == refuse) return absl::FailedPreconditionError("refused");
    return absl::OkStatus();
  };
  MysqlDefinerFilter f(o);
  size_t at = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(in.size());
  for (size_t end : ends) {
    r.status = f.Write(in.data() + at, end - at);
    at = end;
    if (!r.status.ok()) break;
  }
  if (r.status.ok()) r.status = f.Finish();
  r.rewritten = f.rewritten();
  r.out = sink.data;
  // The client's input is closed only when the stream was good.
  EXPECT_EQ(sink.finished, r.status.ok() ? 1 : 0);
  return r;
}

Result Whole(const std::string& in, bool rewrite, const std::string& refuse = "") {
  return Feed(in, rewrite, {}, refuse);
}

std::vector<size_t> EveryByte(const std::string& in) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < in.size(); ++i) cuts.push_back(i);
  return cuts;
}

std::vector<size_t> RandomCuts(size_t size, std::mt19937* gen) {
  std::vector<size_t> cuts;
  size_t at = 0;
  while (true) {
    at += 1 + (*gen)() % 97;
    if (at >= size) break;
    cuts.push_back(at);
  }
  return cuts;
}

TEST(MysqlDefinerFilter, RewritesEveryDumpFormToCurrentUser) {
  Result r = Whole(kDump, true);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.rewritten, 5u);
  EXPECT_TRUE(r.seen.empty());
  std::string want = kDump;
  for (size_t at = want.find("DEFINER=`alice`@`%`"); at != std::string::npos;
       at = want.find("DEFINER=`alice`@`%`", at)) {
    want.replace(at, 19, "DEFINER=CURRENT_USER");
  }
  EXPECT_EQ(r.out, want);
  // The ones in strings, comments and the routine's body stayed.
  EXPECT_TRUE(absl::StrContains(r.out, "('DEFINER=`x`@`y`')"));
  EXPECT_TRUE(absl::StrContains(r.out, "-- DEFINER=`in`@`comment`"));
  EXPECT_TRUE(absl::StrContains(r.out, "WHERE definer = 'bob'; # CREATE DEFINER=`x`@`y`"));
  EXPECT_TRUE(absl::StrContains(r.out, "SQL SECURITY DEFINER */"));
}

TEST(MysqlDefinerFilter, ChecksEveryAccountAndForwardsTheDumpUnchanged) {
  Result r = Whole(kDump, false);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.out, kDump);
  EXPECT_EQ(r.seen, std::vector<std::string>(5, "'alice'@'%'"));
  EXPECT_EQ(r.rewritten, 0u);
}

TEST(MysqlDefinerFilter, SameResultForEveryWriteBoundary) {
  for (bool rewrite : {false, true}) {
    Result whole = Whole(kDump, rewrite);
    ASSERT_TRUE(whole.status.ok());
    Result bytes = Feed(kDump, rewrite, EveryByte(kDump));
    EXPECT_EQ(bytes.out, whole.out);
    EXPECT_EQ(bytes.seen, whole.seen);
    std::string in = kDump;
    for (size_t cut = 1; cut < in.size(); ++cut) {
      Result two = Feed(in, rewrite, {cut});
      ASSERT_EQ(two.out, whole.out) << "split at " << cut;
      ASSERT_EQ(two.seen, whole.seen) << "split at " << cut;
    }
    std::mt19937 gen(7);
    for (int i = 0; i < 200; ++i) {
      Result random = Feed(in, rewrite, RandomCuts(in.size(), &gen));
      ASSERT_EQ(random.out, whole.out);
    }
  }
}

TEST(MysqlDefinerFilter, ReadsEveryAccountForm) {
  const std::string in =
      "CREATE DEFINER=`we``ird`@`host.example` VIEW a AS SELECT 1;\n"
      "CREATE DEFINER='o''brien'@'10.0.0.%' VIEW b AS SELECT 1;\n"
      "CREATE DEFINER='it\\'s'@'localhost' VIEW c AS SELECT 1;\n"
      "CREATE DEFINER=\"dq\"@\"h\" VIEW d AS SELECT 1;\n"
      "CREATE DEFINER=plain@localhost VIEW e AS SELECT 1;\n"
      "CREATE DEFINER=`admins` PROCEDURE p() SELECT 1;\n"
      "CREATE DEFINER = bare_role EVENT ev ON SCHEDULE EVERY 1 DAY DO SELECT 1;\n"
      "create or replace algorithm = merge definer=`ü`@`%` view f as select 1;\n"
      "ALTER DEFINER=`x`@`h` EVENT ev ENABLE;\n"
      "CREATE DEFINER=CURRENT_USER VIEW g AS SELECT 1;\n"
      "CREATE DEFINER=current_user() VIEW h AS SELECT 1;\n"
      "CREATE DEFINER=CURRENT_ROLE VIEW i AS SELECT 1;\n"
      "CREATE DEFINER=`end`@`of stream`";
  Result r = Whole(in, false);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.out, in);
  EXPECT_EQ(r.seen, (std::vector<std::string>{
                        "'we`ird'@'host.example'", "'o\\'brien'@'10.0.0.%'",
                        "'it\\'s'@'localhost'", "'dq'@'h'", "'plain'@'localhost'", "'admins'",
                        "'bare_role'", "'ü'@'%'", "'x'@'h'", "'end'@'of stream'"}));
  Result bytes = Feed(in, false, EveryByte(in));
  EXPECT_EQ(bytes.seen, r.seen);

  Result w = Feed(in, true, EveryByte(in));
  ASSERT_TRUE(w.status.ok()) << w.status;
  EXPECT_EQ(w.rewritten, 10u);
  EXPECT_TRUE(absl::StrContains(w.out, "CREATE DEFINER=CURRENT_USER VIEW a AS"));
  EXPECT_TRUE(absl::StrContains(w.out, "CREATE DEFINER = CURRENT_USER EVENT ev"));
  EXPECT_TRUE(absl::StrContains(w.out, "merge definer=CURRENT_USER view f"));
  EXPECT_TRUE(absl::StrContains(w.out, "CREATE DEFINER=current_user() VIEW h"));
  EXPECT_TRUE(absl::StrContains(w.out, "CREATE DEFINER=CURRENT_ROLE VIEW i"));
  EXPECT_TRUE(absl::EndsWith(w.out, "CREATE DEFINER=CURRENT_USER")) << w.out;
  EXPECT_FALSE(absl::StrContains(w.out, "brien"));
  EXPECT_FALSE(absl::StrContains(w.out, "plain"));
}

TEST(MysqlDefinerFilter, LeavesDataAlone) {
  const std::string in =
      "INSERT INTO t VALUES ('CREATE DEFINER=`a`@`b`', 'it\\'s CREATE DEFINER=c', "
      "'x'' CREATE DEFINER=d', \"CREATE DEFINER=e\", \"q\\\" CREATE DEFINER=f\");\n"
      "CREATE TABLE `CREATE DEFINER=g` (`create definer=h` INT);\n"
      "/* CREATE DEFINER=i */ -- CREATE DEFINER=j\n"
      "# CREATE DEFINER=k\n"
      "/*+ CREATE DEFINER=l */ /*M CREATE DEFINER=m */ /**/ SELECT 1;\n"
      "SELECT 2--1, 'CREATE DEFINER=n';\n"
      "SELECT x.create definer=o;\n"
      "UPDATE t SET definer = 'p';\n"
      "CREATE VIEW v AS SELECT create_definer, `t`.`definer` FROM t WHERE definer='q';\n";
  for (bool rewrite : {false, true}) {
    Result r = Feed(in, rewrite, EveryByte(in));
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(r.out, in);
    EXPECT_TRUE(r.seen.empty()) << r.seen[0];
    EXPECT_EQ(r.rewritten, 0u);
  }
  // After all that the lexer is back in code: a clause is still found.
  Result r = Whole(in + "CREATE DEFINER=`r`@`%` VIEW w AS SELECT 1;\n", false);
  EXPECT_EQ(r.seen, std::vector<std::string>{"'r'@'%'"});
}

TEST(MysqlDefinerFilter, ExecutableCommentsAreCode) {
  const std::string in =
      "/*!50013 DEFINER=`a`@`%` SQL SECURITY DEFINER */\n"  // no CREATE before: data
      "/*!50001 CREATE ALGORITHM=TEMPTABLE *//*!50013 DEFINER=`b`@`%` */\n"
      "/*M!100101 CREATE*/ /*M!100101 DEFINER=`c`@`%`*/\n"
      "/*!CREATE DEFINER=`d`@`%`*/\n"
      "/*!50003 CREATE*/ /* plain */ /*!50017 DEFINER=`e`@`%`*/\n"
      "/*!50003 CREATE*/ 'string' /*!50017 DEFINER=`f`@`%`*/\n";
  Result r = Feed(in, false, EveryByte(in));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.seen, (std::vector<std::string>{"'b'@'%'", "'c'@'%'", "'d'@'%'", "'e'@'%'"}));
}

TEST(MysqlDefinerFilter, RefusedAccountNeverReachesTheClient) {
  std::string in = kDump;
  std::string refuse = "'alice'@'%'";
  Result whole = Whole(in, false, refuse);
  ASSERT_EQ(whole.status.code(), absl::StatusCode::kFailedPrecondition);
  // Everything up to the first clause went on, and not its account nor
  // anything after it.
  size_t first = in.find("DEFINER=`alice`");
  EXPECT_EQ(whole.out, in.substr(0, first + 7));
  for (const std::vector<size_t>& cuts : {EveryByte(in), std::vector<size_t>{first + 9}}) {
    Result r = Feed(in, false, cuts, refuse);
    EXPECT_EQ(r.status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(r.out, whole.out);
  }
  // The error stays: no later Write or Finish lets anything through.
  StringSink sink;
  MysqlDefinerFilter f({&sink, false, [](const DefinerAccount&) {
                          return absl::FailedPreconditionError("refused");
                        }});
  std::string clause = "CREATE DEFINER=`a`@`b` VIEW v AS SELECT 1;\n";
  EXPECT_FALSE(f.Write(clause.data(), clause.size()).ok());
  EXPECT_FALSE(f.Write("SELECT 1;\n", 10).ok());
  EXPECT_FALSE(f.Finish().ok());
  EXPECT_EQ(sink.data, "CREATE DEFINER");
  EXPECT_EQ(sink.finished, 0);
}

TEST(MysqlDefinerFilter, LongLinesStreamWithBoundedHold) {
  // A 4 MB INSERT line full of look-alikes, then a real clause.
  std::string row = "('CREATE DEFINER=`no`@`pe` \\' '' \" `', \"DEFINER=\\\"x\"),";
  std::string in = "INSERT INTO t VALUES ";
  while (in.size() < (4u << 20)) in += row;
  in.back() = ';';
  in += "\nCREATE DEFINER=`bob`@`%` PROCEDURE p() SELECT 1;\n";
  std::mt19937 gen(11);
  Result r = Feed(in, true, RandomCuts(in.size(), &gen));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.rewritten, 1u);
  EXPECT_EQ(r.out.substr(0, in.size() - 50), in.substr(0, in.size() - 50));
  EXPECT_TRUE(absl::EndsWith(r.out, "CREATE DEFINER=CURRENT_USER PROCEDURE p() SELECT 1;\n"));

  // A clause longer than any account is refused, not buffered.
  std::string huge = "CREATE DEFINER=`" + std::string(MysqlDefinerFilter::kMaxClauseBytes, 'a') +
                     "`@`%` VIEW v AS SELECT 1;";
  Result h = Whole(huge, true);
  EXPECT_EQ(h.status.code(), absl::StatusCode::kInvalidArgument) << h.status;
  EXPECT_TRUE(absl::StrContains(h.status.message(), "longer than")) << h.status;
  EXPECT_EQ(h.out, "CREATE DEFINER");
}

TEST(MysqlDefinerFilter, UnreadableAccountIsRefused) {
  for (const std::string in : {"CREATE DEFINER=@x VIEW v AS SELECT 1;",
                               "CREATE DEFINER=`a`@(x) VIEW v AS SELECT 1;",
                               "CREATE DEFINER=CURRENT_USER(x) VIEW v AS SELECT 1;"}) {
    Result r = Whole(in, true);
    EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument) << in;
    EXPECT_TRUE(absl::StrContains(r.status.message(), "cannot read the account")) << r.status;
  }
}

TEST(MysqlAccounts, FindsAccountsAndRoles) {
  auto hex = [](const std::string& s) {
    std::string out;
    for (unsigned char c : s) absl::StrAppend(&out, absl::Hex(c, absl::kZeroPad2));
    return out;
  };
  std::string out;
  for (auto [u, h] : std::vector<std::pair<std::string, std::string>>{
           {"alice", "%"}, {"bob", "LocalHost"}, {"admins", ""}, {"tab\tname", "h\nx"}}) {
    absl::StrAppend(&out, hex(u), "\t", hex(h), "\n");
  }
  absl::StatusOr<MysqlAccounts> a = MysqlAccounts::Parse(out);
  ASSERT_TRUE(a.ok()) << a.status();
  auto has = [&](std::string user, std::string host, bool has_host = true) {
    DefinerAccount d;
    d.user = user;
    d.host = host;
    d.has_host = has_host;
    return a->Has(d);
  };
  EXPECT_TRUE(has("alice", "%"));
  EXPECT_FALSE(has("alice", "localhost"));
  EXPECT_TRUE(has("alice", "", false));  // alice means alice@'%'
  EXPECT_TRUE(has("bob", "localhost"));
  EXPECT_TRUE(has("bob", "LOCALhost"));  // host names without regard to case
  EXPECT_FALSE(has("Bob", "localhost"));
  EXPECT_FALSE(has("bob", "", false));
  EXPECT_TRUE(has("admins", "", false));  // a role
  EXPECT_TRUE(has("tab\tname", "h\nx"));
  EXPECT_FALSE(has("carol", "%"));
  DefinerAccount current;
  current.kind = DefinerAccount::Kind::kCurrentUser;
  EXPECT_TRUE(a->Has(current));

  DefinerAccount missing;
  missing.user = "o'x";
  missing.host = "%";
  missing.has_host = true;
  absl::Status st = a->Check(missing);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.message(),
            "the backup's views, routines, triggers or events are defined by 'o\\'x'@'%', which "
            "does not exist on the target server: create that account first, or restore with "
            "--definers=current-user to define them as the restoring user");
  EXPECT_FALSE(MysqlAccounts::Parse("zz\t00\n").ok());
  EXPECT_FALSE(MysqlAccounts::Parse("41\n").ok());
}

}  // namespace
}  // namespace mysql
}  // namespace dbdump
