#include "common/base/flags.h"

#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace dbdump {
namespace {

class FlagsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-flags-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/daemon.toml";
  }
  void TearDown() override {
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  void Write(const std::string& text) { std::ofstream(path_) << text; }
  Flags Make() {
    Flags f;
    f.Define("listen", "127.0.0.1:7300", "");
    f.Define("heartbeat_interval_s", "5", "");
    f.Define("notify_events", "failure", "");
    f.Define("notify_smtp_url", "", "");
    f.DefineBool("insecure_plaintext", false, "");
    return f;
  }
  absl::Status Parse(Flags* f, std::vector<std::string> args) {
    args.insert(args.begin(), "daemon");
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    return f->Parse(static_cast<int>(argv.size()), argv.data());
  }
  std::string dir_, path_;
};

TEST_F(FlagsTest, ConfigFileSetsFlagsAndTheCommandLineWins) {
  Write("listen = \"0.0.0.0:9000\"\nheartbeat-interval-s = 2\ninsecure_plaintext = true\n"
        "[notify]\nevents = [\"failure\", \"stale\"]\nsmtp_url = \"smtp://mail:25\"\n");
  Flags f = Make();
  ASSERT_TRUE(Parse(&f, {"--config=" + path_, "--heartbeat-interval-s=9"}).ok());
  EXPECT_EQ(f.Get("listen"), "0.0.0.0:9000");
  EXPECT_EQ(f.Get("heartbeat_interval_s"), "9");
  EXPECT_TRUE(f.GetBool("insecure_plaintext"));
  EXPECT_EQ(f.Get("notify_events"), "failure,stale");
  EXPECT_EQ(f.Get("notify_smtp_url"), "smtp://mail:25");
  EXPECT_EQ(f.config_file(), path_);
}

TEST_F(FlagsTest, BadConfigIsRefusedNamingFileAndLine) {
  Flags f = Make();
  Write("listen = \"x\"\n\nbogus = 1\n");
  absl::Status st = Parse(&f, {"--config", path_});
  EXPECT_NE(st.message().find("daemon.toml: unknown flag --bogus"), std::string::npos) << st;
  Write("listen = \"x\"\nheartbeat_interval_s = [1, 2]\n");
  st = Parse(&f, {"--config", path_});
  EXPECT_NE(st.message().find("daemon.toml:2: heartbeat_interval_s: a list holds strings only"),
            std::string::npos)
      << st;
  Write("listen = \"x\n");
  st = Parse(&f, {"--config", path_});
  EXPECT_NE(st.message().find("daemon.toml:1:"), std::string::npos) << st;
  Write("insecure_plaintext = \"maybe\"\n");
  st = Parse(&f, {"--config", path_});
  EXPECT_NE(st.message().find("is true or false"), std::string::npos) << st;
  Write("listen = \"a\"\nlisten-x = 1\n[notify]\nevents = \"x\"\n[x]\nlisten = \"b\"\n");
  EXPECT_FALSE(Parse(&f, {"--config", path_}).ok());
  Write("notify_events = \"a\"\n[notify]\nevents = \"b\"\n");
  st = Parse(&f, {"--config", path_});
  EXPECT_NE(st.message().find("given twice"), std::string::npos) << st;
  EXPECT_NE(Parse(&f, {"--config=rel.toml"}).message().find("absolute path"), std::string::npos);
}

TEST_F(FlagsTest, ReloadReadsTheFileAgainAndSaysWhatChanged) {
  Write("listen = \"a:1\"\nnotify_events = \"failure\"\n");
  Flags f = Make();
  ASSERT_TRUE(Parse(&f, {"--config=" + path_, "--listen=cmd:2"}).ok());
  Write("listen = \"b:1\"\nnotify_events = \"failure,success\"\nheartbeat_interval_s = 7\n");
  auto changed = f.Reload();
  ASSERT_TRUE(changed.ok()) << changed.status();
  // The command line still wins over the file.
  EXPECT_EQ(f.Get("listen"), "cmd:2");
  EXPECT_EQ(*changed, (std::vector<std::string>{"heartbeat_interval_s", "notify_events"}));
  // A key removed from the file falls back to its default.
  Write("listen = \"b:1\"\n");
  changed = f.Reload();
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(f.Get("heartbeat_interval_s"), "5");
  EXPECT_EQ(f.Get("notify_events"), "failure");
  // A file that does not parse changes nothing.
  Write("listen = \n");
  EXPECT_FALSE(f.Reload().ok());
  EXPECT_EQ(f.Get("heartbeat_interval_s"), "5");
}

TEST_F(FlagsTest, VersionHelpAndNaming) {
  Flags f = Make();
  EXPECT_TRUE(Parse(&f, {"--version"}).ok());
  EXPECT_TRUE(f.VersionRequested());
  Flags g = Make();
  EXPECT_TRUE(absl::IsNotFound(Parse(&g, {"--help"})));
  EXPECT_TRUE(g.HelpRequested());
  // One style in the help and errors (kebab-case); snake_case still works.
  EXPECT_NE(g.Usage("d").find("--heartbeat-interval-s"), std::string::npos);
  EXPECT_EQ(g.Usage("d").find("--heartbeat_interval_s"), std::string::npos);
  Flags h = Make();
  ASSERT_TRUE(Parse(&h, {"--heartbeat_interval_s=3"}).ok());
  EXPECT_EQ(h.Get("heartbeat_interval_s"), "3");
  EXPECT_NE(Parse(&h, {"--nope_flag=1"}).message().find("unknown flag --nope-flag"),
            std::string::npos);
  // "--name value" works; a stray word does not.
  Flags k = Make();
  ASSERT_TRUE(Parse(&k, {"--listen", "h:1", "--insecure-plaintext"}).ok());
  EXPECT_EQ(k.Get("listen"), "h:1");
  EXPECT_TRUE(k.GetBool("insecure_plaintext"));
  EXPECT_NE(Parse(&k, {"stray"}).message().find("unexpected argument \"stray\""),
            std::string::npos);
}

}  // namespace
}  // namespace dbdump
