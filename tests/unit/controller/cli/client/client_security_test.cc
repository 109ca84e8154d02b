#include "controller/cli/client/client_security.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "gtest/gtest.h"

namespace dbdump {
namespace {

class ClientConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-cli-config-XXXXXX";
    dir_ = mkdtemp(tmpl);
    env_["DBDUMP_CONFIG_DIR"] = dir_;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::function<const char*(const char*)> Getenv() {
    return [this](const char* name) -> const char* {
      auto it = env_.find(name);
      return it == env_.end() ? nullptr : it->second.c_str();
    };
  }
  void WriteFile(const std::string& name, const std::string& text, mode_t mode = 0600) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    chmod(path.c_str(), mode);
  }
  std::string dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(ClientConfigTest, AddressCaAndTokenFileComeFromTheConfigFile) {
  auto none = LoadClientConfig(Getenv());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->controller, "");
  WriteFile("ca-elsewhere.pem", "PEM");
  WriteFile("secret-token", "tok-123\n");
  WriteFile("config.toml", "controller = \"ctl.example:7300\"\nca_file = \"" + dir_ +
                               "/ca-elsewhere.pem\"\ntoken_file = \"" + dir_ + "/secret-token\"\n");
  auto config = LoadClientConfig(Getenv());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->controller, "ctl.example:7300");
  ClientSecuritySources sources;
  sources.getenv = Getenv();
  auto security = LoadClientSecurity(sources);
  ASSERT_TRUE(security.ok()) << security.status();
  EXPECT_EQ(security->token, "tok-123");
  EXPECT_EQ(security->ca_pem, "PEM");
  // The environment wins over the file.
  env_["DBDUMP_TOKEN"] = "from-env";
  security = LoadClientSecurity(sources);
  ASSERT_TRUE(security.ok());
  EXPECT_EQ(security->token, "from-env");
}

TEST_F(ClientConfigTest, UnknownKeysAndTokensInTheFileAreRefused) {
  WriteFile("config.toml", "controller = \"x:1\"\ntoken = \"pasted-secret\"\n");
  auto config = LoadClientConfig(Getenv());
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("unknown key \"token\""), std::string::npos);
  EXPECT_EQ(config.status().message().find("pasted-secret"), std::string::npos);
  // A token file others may read is refused, as the default one is.
  WriteFile("config.toml", "token_file = \"" + dir_ + "/open-token\"\n");
  WriteFile("open-token", "tok", 0644);
  WriteFile("ca.pem", "PEM");
  ClientSecuritySources sources;
  sources.getenv = Getenv();
  EXPECT_FALSE(LoadClientSecurity(sources).ok());
}

}  // namespace
}  // namespace dbdump
