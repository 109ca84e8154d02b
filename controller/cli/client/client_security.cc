#include "controller/cli/client/client_security.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/base/config_file.h"
#include "common/base/status_macros.h"
#include "common/security/private_files.h"

namespace dbdump {
namespace {

std::string Env(const std::function<const char*(const char*)>& getenv, const char* name) {
  const char* v = getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace

std::string ClientConfigDir(const std::function<const char*(const char*)>& getenv) {
  std::string dir = Env(getenv, "DBDUMP_CONFIG_DIR");
  if (!dir.empty()) return dir;
  std::string xdg = Env(getenv, "XDG_CONFIG_HOME");
  if (!xdg.empty()) return xdg + "/dbdump";
  return Env(getenv, "HOME") + "/.config/dbdump";
}

absl::StatusOr<ClientConfig> LoadClientConfig(
    const std::function<const char*(const char*)>& getenv) {
  const std::string path = ClientConfigDir(getenv) + "/config.toml";
  ClientConfig out;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return out;
  ASSIGN_OR_RETURN(auto settings, ReadConfigFile(path));
  for (const auto& [key, value] : settings) {
    if (key == "controller") {
      out.controller = value;
    } else if (key == "ca_file") {
      out.ca_file = value;
    } else if (key == "token_file") {
      out.token_file = value;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": unknown key \"", key, "\": dbdumpctl reads controller, ca_file and token_file "
          "(the token itself goes in a 0600 file, never here)"));
    }
  }
  return out;
}

absl::StatusOr<ClientSecurity> LoadClientSecurity(const ClientSecuritySources& in) {
  std::function<const char*(const char*)> getenv = in.getenv;
  if (!getenv) getenv = [](const char* name) { return std::getenv(name); };
  ClientSecurity out;
  out.plaintext = in.plaintext || Env(getenv, "DBDUMP_INSECURE_PLAINTEXT") == "1";
  const std::string dir = ClientConfigDir(getenv);
  ASSIGN_OR_RETURN(ClientConfig config, LoadClientConfig(getenv));
  std::string token = Env(getenv, "DBDUMP_TOKEN");
  if (token.empty()) {
    absl::StatusOr<std::string> file =
        ReadPrivateFile(config.token_file.empty() ? dir + "/token" : config.token_file);
    if (file.ok()) {
      token = *file;
    } else if (!absl::IsNotFound(file.status())) {
      return file.status();
    }
  }
  out.token = std::string(absl::StripAsciiWhitespace(token));
  if (out.plaintext) return out;
  std::string ca_file = in.ca_file;
  if (ca_file.empty()) ca_file = Env(getenv, "DBDUMP_CA_FILE");
  if (ca_file.empty()) ca_file = config.ca_file;
  if (ca_file.empty()) ca_file = dir + "/ca.pem";
  std::ifstream ca(ca_file, std::ios::binary);
  if (!ca) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no CA certificate to check the controller with at ", ca_file,
        ": copy the controller's ca.pem (in its state directory, pki/ca.pem) there, or pass "
        "--ca-file=PATH or set DBDUMP_CA_FILE"));
  }
  std::stringstream ss;
  ss << ca.rdbuf();
  out.ca_pem = ss.str();
  return out;
}

}  // namespace dbdump
