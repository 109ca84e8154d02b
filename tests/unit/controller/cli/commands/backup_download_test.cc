// "backup download" against a scripted fake controller: the file appears
// only once what was received has the manifest's checksum.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/s3/sigv4_signer.h"
#include "gtest/gtest.h"
#include "tests/unit/controller/cli/cli_commands_fixture.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class BackupDownloadCliTest : public CliCommandsTest {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdumpctl-download.XXXXXX";
    dir_ = mkdtemp(tmpl);
    file_ = dir_ + "/orders.zst";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The controller streams `content` in two chunks, announcing `sha256`.
  void Script(const std::string& content, const std::string& sha256) {
    fake_.download.clear();
    v1::DownloadBackupResponse header;
    header.mutable_header()->set_file_name("orders-20260115T020000Z-0badc0de-dump.sqlite.zst");
    header.mutable_header()->set_size_bytes(content.size());
    header.mutable_header()->set_stored_sha256(sha256);
    fake_.download.push_back(header);
    for (const std::string& part : {content.substr(0, 3), content.substr(3)}) {
      v1::DownloadBackupResponse data;
      data.set_data(part);
      fake_.download.push_back(data);
    }
  }
  std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string dir_;
  std::string file_;
};

TEST_F(BackupDownloadCliTest, WritesTheFileWhenTheChecksumMatches) {
  Script("zstd bytes", HexSha256("zstd bytes"));
  ASSERT_EQ(Run({"backup", "download", "20260115T020000Z-0badc0de", "-o", file_, "--object",
                 "manifest.json"}),
            0)
      << err_.str();
  EXPECT_EQ(fake_.download_request.id(), "20260115T020000Z-0badc0de");
  EXPECT_EQ(fake_.download_request.object(), "manifest.json");
  EXPECT_EQ(Read(file_), "zstd bytes");
  EXPECT_FALSE(fs::exists(file_ + ".part"));
  EXPECT_EQ(out_.str(), "downloaded orders-20260115T020000Z-0badc0de-dump.sqlite.zst to " + file_ +
                           ": 10 bytes (10 B), sha256 " + HexSha256("zstd bytes") +
                           " as in the manifest\n");
  // Progress went to stderr, not among the results.
  EXPECT_NE(err_.str().find("downloaded"), std::string::npos) << err_.str();
}

TEST_F(BackupDownloadCliTest, AMismatchLeavesNoFile) {
  Script("tampered!!", HexSha256("zstd bytes"));
  EXPECT_EQ(Run({"backup", "download", "20260115T020000Z-0badc0de", "--output-file", file_}), 1);
  EXPECT_NE(err_.str().find("the manifest says " + HexSha256("zstd bytes")), std::string::npos)
      << err_.str();
  EXPECT_FALSE(fs::exists(file_));
  EXPECT_FALSE(fs::exists(file_ + ".part"));
}

TEST_F(BackupDownloadCliTest, AStreamThatBreaksLeavesNoFile) {
  Script("zstd bytes", HexSha256("zstd bytes"));
  fake_.download_end = absl::UnavailableError("agent db1: connection reset");
  EXPECT_EQ(Run({"backup", "download", "20260115T020000Z-0badc0de", "-o", file_}), 1);
  EXPECT_FALSE(fs::exists(file_));
  EXPECT_FALSE(fs::exists(file_ + ".part"));
}

TEST_F(BackupDownloadCliTest, AnExistingFileIsKeptUnlessForced) {
  { std::ofstream(file_) << "mine"; }
  Script("zstd bytes", HexSha256("zstd bytes"));
  EXPECT_EQ(Run({"backup", "download", "20260115T020000Z-0badc0de", "-o", file_}), 1);
  EXPECT_NE(err_.str().find("pass --force"), std::string::npos) << err_.str();
  EXPECT_EQ(fake_.calls, 0);
  EXPECT_EQ(Read(file_), "mine");
  ASSERT_EQ(Run({"backup", "download", "20260115T020000Z-0badc0de", "-o", file_, "--force"}), 0)
      << err_.str();
  EXPECT_EQ(Read(file_), "zstd bytes");
}

TEST_F(BackupDownloadCliTest, TheFileIsRequired) {
  EXPECT_EQ(Run({"backup", "download", "20260115T020000Z-0badc0de"}), 2);
  EXPECT_NE(err_.str().find("--output-file"), std::string::npos) << err_.str();
}

}  // namespace
}  // namespace dbdump
