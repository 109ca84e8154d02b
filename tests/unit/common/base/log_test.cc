#include "common/base/log.h"

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dbdump {
namespace {

// Captures what Log writes to stderr while it exists.
class StderrCapture {
 public:
  StderrCapture() {
    fflush(stderr);
    file_ = tmpfile();
    saved_ = dup(STDERR_FILENO);
    dup2(fileno(file_), STDERR_FILENO);
  }
  std::string Take() {
    fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    std::string out;
    rewind(file_);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, file_)) > 0) out.append(buf, n);
    fclose(file_);
    return out;
  }

 private:
  FILE* file_;
  int saved_;
};

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override { ConfigureLogging(LogOptions()); }
};

TEST_F(LogTest, JsonLinesCarryTheJobAndDatabaseOfTheirThread) {
  LogOptions o;
  o.json = true;
  ConfigureLogging(o);
  StderrCapture cap;
  LogInfo("agent", "plain line");
  {
    ScopedLogFields fields("job-1", "orders");
    LogWarn("agent", "with \"quotes\"\nand a bad byte \xff");
  }
  LogInfo("agent", "fields gone");
  std::string out = cap.Take();
  std::vector<nlohmann::json> lines;
  size_t start = 0;
  for (size_t nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(nlohmann::json::parse(out.substr(start, nl - start)));
  }
  ASSERT_EQ(lines.size(), 3u) << out;
  EXPECT_EQ(lines[0]["level"], "info");
  EXPECT_EQ(lines[0]["component"], "agent");
  EXPECT_EQ(lines[0]["message"], "plain line");
  EXPECT_FALSE(lines[0].contains("job_id"));
  EXPECT_TRUE(lines[0]["time"].get<std::string>().size() == 20u);
  EXPECT_EQ(lines[1]["level"], "warn");
  EXPECT_EQ(lines[1]["job_id"], "job-1");
  EXPECT_EQ(lines[1]["database"], "orders");
  EXPECT_EQ(lines[1]["message"], "with \"quotes\"\nand a bad byte \xEF\xBF\xBD");
  EXPECT_FALSE(lines[2].contains("database"));
}

TEST_F(LogTest, LevelFiltersAndJournaldLinesCarryThePriorityNotTheTime) {
  LogOptions o;
  o.level = LogLevel::kWarn;
  o.journald = true;
  ConfigureLogging(o);
  StderrCapture cap;
  LogInfo("c", "dropped");
  LogDebug("c", "dropped too");
  LogWarn("c", "kept");
  LogError("c", "kept too");
  EXPECT_EQ(cap.Take(), "<4>WARN c: kept\n<3>ERROR c: kept too\n");
  EXPECT_FALSE(ParseLogLevel("loud").ok());
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
}

TEST_F(LogTest, TextLinesStartWithTheTime) {
  StderrCapture cap;
  LogInfo("c", "hello");
  std::string out = cap.Take();
  ASSERT_EQ(out.size(), 20u + std::string(" INFO c: hello\n").size()) << out;
  EXPECT_EQ(out.substr(20), " INFO c: hello\n");
}

}  // namespace
}  // namespace dbdump
