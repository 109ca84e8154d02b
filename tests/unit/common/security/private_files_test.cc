#include "common/security/private_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::string Contents(const std::string& path) {
  std::stringstream s;
  s << std::ifstream(path).rdbuf();
  return s.str();
}

class PrivateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-private.XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(PrivateFileTest, WriteFileAtomicallySetsModeAndContent) {
  std::string path = dir_ + "/key.pem";
  std::string secret("secret\0bytes\n", 13);
  ASSERT_TRUE(WriteFileAtomically(path, secret, 0600).ok());
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(Contents(path), secret);

  // Replaces the file, with the new mode, and leaves no temporary behind.
  ASSERT_TRUE(WriteFileAtomically(path, "second", 0640).ok());
  EXPECT_EQ(ModeOf(path), 0640u);
  EXPECT_EQ(Contents(path), "second");
  int files = 0;
  for (auto& e : fs::directory_iterator(dir_)) {
    ++files;
    EXPECT_EQ(e.path().filename(), "key.pem");
  }
  EXPECT_EQ(files, 1);
}

TEST_F(PrivateFileTest, WriteFileAtomicallyIgnoresTheUmask) {
  mode_t old = ::umask(0077);
  absl::Status s = WriteFileAtomically(dir_ + "/ca.pem", "cert", 0644);
  ::umask(old);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(ModeOf(dir_ + "/ca.pem"), 0644u);
}

TEST_F(PrivateFileTest, WriteFileAtomicallyFailsInAMissingDirectory) {
  absl::Status s = WriteFileAtomically(dir_ + "/missing/key.pem", "x", 0600);
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), dir_ + "/missing")) << s;
}

TEST_F(PrivateFileTest, ReadPrivateFileReadsOwnerOnlyFiles) {
  std::string path = dir_ + "/token";
  ASSERT_TRUE(WriteFileAtomically(path, "dbdt_abc", 0600).ok());
  EXPECT_EQ(ReadPrivateFile(path).value(), "dbdt_abc");
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  EXPECT_EQ(ReadPrivateFile(path).value(), "dbdt_abc");
}

TEST_F(PrivateFileTest, ReadPrivateFileRefusesFilesOthersCanReadWithTheChmodHint) {
  std::string path = dir_ + "/key.pem";
  ASSERT_TRUE(WriteFileAtomically(path, "hunter2-content", 0644).ok());
  auto read = ReadPrivateFile(path);
  EXPECT_TRUE(absl::IsFailedPrecondition(read.status())) << read.status();
  EXPECT_TRUE(absl::StrContains(read.status().message(), "0644")) << read.status();
  EXPECT_TRUE(absl::StrContains(read.status().message(), "chmod 600 " + path)) << read.status();
  EXPECT_FALSE(absl::StrContains(read.status().message(), "hunter2")) << read.status();

  for (mode_t mode : {0660, 0604, 0620, 0602, 0610}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    EXPECT_TRUE(absl::IsFailedPrecondition(ReadPrivateFile(path).status())) << std::oct << mode;
  }
}

TEST_F(PrivateFileTest, ReadPrivateFileNotFoundAndNotRegular) {
  EXPECT_TRUE(absl::IsNotFound(ReadPrivateFile(dir_ + "/missing").status()));
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  EXPECT_TRUE(absl::IsFailedPrecondition(ReadPrivateFile(dir_).status()));
}

TEST_F(PrivateFileTest, EnsurePrivateDirectoryCreatesAndTightens) {
  std::string nested = dir_ + "/a/b/pki";
  ASSERT_TRUE(EnsurePrivateDirectory(nested).ok());
  EXPECT_TRUE(fs::is_directory(nested));
  EXPECT_EQ(ModeOf(nested), 0700u);
  // Already there: fine, twice.
  ASSERT_TRUE(EnsurePrivateDirectory(nested).ok());

  std::string loose = dir_ + "/loose";
  ASSERT_EQ(::mkdir(loose.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(loose.c_str(), 0755), 0);
  ASSERT_TRUE(EnsurePrivateDirectory(loose).ok());
  EXPECT_EQ(ModeOf(loose), 0700u);
  // Trailing slash.
  ASSERT_TRUE(EnsurePrivateDirectory(dir_ + "/c/").ok());
  EXPECT_EQ(ModeOf(dir_ + "/c"), 0700u);
}

TEST_F(PrivateFileTest, EnsurePrivateDirectoryRefusesAFile) {
  std::string path = dir_ + "/file";
  ASSERT_TRUE(WriteFileAtomically(path, "x", 0600).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(EnsurePrivateDirectory(path)));
}

}  // namespace
}  // namespace dbdump
