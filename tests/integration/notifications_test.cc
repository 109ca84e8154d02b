// Notifications against receivers the test starts (tests/fixtures/
// notify_receiver.py): a generic webhook with an HMAC signature checked by
// Python's hmac, retries after 5xx, per-event selection, Slack's format,
// SMTP e-mail, no secrets in what is sent, and Notify never blocking.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "controller/notify/async_notifier.h"
#include "controller/notify/email_channel.h"
#include "controller/notify/slack_channel.h"
#include "controller/notify/webhook_channel.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

// A receiver process; stopped (by its pid) when destroyed.
class Receiver {
 public:
  Receiver(const std::string& dir, std::vector<std::string> args) {
    out_ = absl::StrCat(dir, "/received-", counter_++, ".jsonl");
    std::vector<std::string> argv = {"python3", std::string(DBDUMP_FIXTURES_DIR) + "/notify_receiver.py"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--out");
    argv.push_back(out_);
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> cargv;
      for (std::string& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execvp("python3", cargv.data());
      _exit(127);
    }
    close(fds[1]);
    FILE* f = fdopen(fds[0], "r");
    char line[64] = {0};
    if (fgets(line, sizeof line, f) != nullptr) sscanf(line, "PORT %d", &port_);
    fclose(f);
  }
  ~Receiver() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  std::vector<std::string> Lines() const {
    std::ifstream in(out_);
    std::vector<std::string> out;
    std::string l;
    while (std::getline(in, l)) out.push_back(l);
    return out;
  }

 private:
  static inline int counter_ = 0;
  std::string out_;
  pid_t pid_ = -1;
  int port_ = 0;
};

Notification Failure(const std::string& db) {
  Notification n;
  n.event = NotificationEvent::kBackupFailed;
  n.database = db;
  n.summary = absl::StrCat("backup of ", db, " failed");
  n.fields = {{"job", "job-20260301T010000Z-0a1b2c3d"}, {"error", "pg_dump: \"quoted\"\nsecond line"}};
  n.time = TimeFromString("2026-03-01T01:00:05Z");
  return n;
}

class NotificationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-notify.XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  AsyncNotifierOptions Fast() {
    AsyncNotifierOptions o;
    o.attempts = 4;
    o.backoff = absl::Milliseconds(20);
    return o;
  }
  std::string dir_;
};

TEST_F(NotificationsTest, WebhookIsSignedRetriedAndFollowsTheEventSelection) {
  const std::string secret = "hmac-key-never-sent-3f9a";
  Receiver r(dir_, {"http", "--secret", secret, "--fail-first", "2"});
  ASSERT_GT(r.port(), 0);
  AsyncNotifier notifier(Fast());
  notifier.AddChannel(
      std::make_unique<WebhookChannel>(absl::StrCat("http://127.0.0.1:", r.port(), "/hook"), secret),
      {NotificationEvent::kBackupFailed, NotificationEvent::kVerificationFailed});
  notifier.Start();
  notifier.Notify(Failure("orders"));
  Notification success = Failure("orders");
  success.event = NotificationEvent::kBackupSucceeded;  // not selected: never sent
  notifier.Notify(success);
  ASSERT_TRUE(notifier.Flush(absl::Seconds(20)));

  std::vector<std::string> got = r.Lines();
  ASSERT_EQ(got.size(), 3u) << "two 500s, then delivered; the success event is not selected";
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NE(got[i].find("\"signature_ok\": true"), std::string::npos) << got[i];
    EXPECT_NE(got[i].find(i < 2 ? "\"answered\": 500" : "\"answered\": 200"), std::string::npos);
    EXPECT_EQ(got[i].find(secret), std::string::npos) << "the key was sent";
  }
  // The body is the generic JSON, escaped (JSON inside the JSON record).
  EXPECT_NE(got[2].find("{\\\"event\\\":\\\"failure\\\",\\\"database\\\":\\\"orders\\\","
                        "\\\"summary\\\":\\\"backup of orders failed\\\",\\\"time\\\":"
                        "\\\"2026-03-01T01:00:05Z\\\""),
            std::string::npos)
      << got[2];
  EXPECT_NE(got[2].find("pg_dump: \\\\\\\"quoted\\\\\\\"\\\\nsecond line"), std::string::npos)
      << got[2];
}

TEST_F(NotificationsTest, AReceiverThatKeepsFailingIsGivenUpOn) {
  Receiver r(dir_, {"http", "--fail-first", "100"});
  AsyncNotifier notifier(Fast());
  notifier.AddChannel(
      std::make_unique<WebhookChannel>(absl::StrCat("http://127.0.0.1:", r.port(), "/"), ""),
      {NotificationEvent::kBackupFailed});
  notifier.Start();
  notifier.Notify(Failure("orders"));
  ASSERT_TRUE(notifier.Flush(absl::Seconds(20)));
  EXPECT_EQ(r.Lines().size(), 4u) << "attempts = 4";
  EXPECT_EQ(r.Lines()[0].find("x-dbdump-signature"), std::string::npos) << "no key, no signature";
}

TEST_F(NotificationsTest, NotifyNeverBlocksOnAHungReceiver) {
  auto hung = std::make_unique<Receiver>(dir_, std::vector<std::string>{"http", "--hang"});
  Receiver& r = *hung;
  AsyncNotifierOptions o = Fast();
  o.max_queued = 50;
  AsyncNotifier notifier(o);
  notifier.AddChannel(
      std::make_unique<WebhookChannel>(absl::StrCat("http://127.0.0.1:", r.port(), "/"), ""),
      {NotificationEvent::kBackupFailed});
  notifier.Start();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) notifier.Notify(Failure(absl::StrCat("db", i)));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(std::chrono::duration<double>(took).count(), 0.5);
  EXPECT_GE(notifier.dropped(), 149) << "the queue is bounded";
  // The receiver goes first, so the worker's pending request fails and Stop
  // returns at once.
  hung.reset();
}

TEST_F(NotificationsTest, SlackGetsOneTextField) {
  Receiver r(dir_, {"http"});
  AsyncNotifier notifier(Fast());
  notifier.AddChannel(
      std::make_unique<SlackChannel>(absl::StrCat("http://127.0.0.1:", r.port(), "/services/T0/B0/XYZ")),
      {NotificationEvent::kBackupStale});
  notifier.Start();
  Notification n;
  n.event = NotificationEvent::kBackupStale;
  n.database = "orders";
  n.summary = "database orders is stale";
  n.fields = {{"last good backup", "2026-02-27T01:00:00Z"}};
  n.time = TimeFromString("2026-03-01T01:00:00Z");
  notifier.Notify(n);
  ASSERT_TRUE(notifier.Flush(absl::Seconds(20)));
  auto got = r.Lines();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find("\"body\": \"{\\\"text\\\":\\\"database orders is stale\\\\nlast good "
                        "backup: 2026-02-27T01:00:00Z\\\"}\""),
            std::string::npos)
      << got[0];
}

TEST_F(NotificationsTest, EmailOverSmtp) {
  Receiver r(dir_, {"smtp"});
  ASSERT_GT(r.port(), 0);
  EmailChannelOptions eo;
  eo.smtp_url = absl::StrCat("smtp://127.0.0.1:", r.port());
  eo.from = "dbdump@example.org";
  eo.to = {"oncall@example.org", "dba@example.org"};
  AsyncNotifier notifier(Fast());
  notifier.AddChannel(std::make_unique<EmailChannel>(eo), {NotificationEvent::kVerificationFailed});
  notifier.Start();
  Notification n;
  n.event = NotificationEvent::kVerificationFailed;
  n.database = "orders";
  n.summary = "verification of backup 20260301T010000Z-0a1b2c3d of orders failed";
  n.fields = {{"error", "stored sha256 ab12 does not match the manifest's cd34"},
              {"note", "x\n.\nline after a lone dot"}};
  n.time = TimeFromString("2026-03-01T01:00:00Z");
  notifier.Notify(n);
  ASSERT_TRUE(notifier.Flush(absl::Seconds(20)));
  auto got = r.Lines();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find("\"from\": \"<dbdump@example.org>\""), std::string::npos) << got[0];
  EXPECT_NE(got[0].find("\"rcpt\": [\"<oncall@example.org>\", \"<dba@example.org>\"]"),
            std::string::npos)
      << got[0];
  EXPECT_NE(got[0].find("Subject: [dbdump] verification of backup 20260301T010000Z-0a1b2c3d of "
                        "orders failed\\r\\n"),
            std::string::npos)
      << got[0];
  EXPECT_NE(got[0].find("X-Dbdump-Event: verify_failure"), std::string::npos);
  EXPECT_NE(got[0].find("error: stored sha256 ab12"), std::string::npos);
  EXPECT_NE(got[0].find("note: x\\r\\n.\\r\\nline after a lone dot"), std::string::npos)
      << "a lone dot line is stuffed, not the end of DATA: " << got[0];
}

}  // namespace
}  // namespace dbdump
