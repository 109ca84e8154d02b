// ClientSecurity: how dbdumpctl reaches the controller. TLS checked against
// the deployment's CA and the controller's identity, with an API token; the
// token comes from $DBDUMP_TOKEN or a 0600 file, never from the command line.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace dbdump {

struct ClientSecurity {
  // The controller runs --insecure_plaintext.
  bool plaintext = false;
  std::string ca_pem;
  // Empty: calls go without one (only open RPCs succeed).
  std::string token;
};

struct ClientSecuritySources {
  // --ca_file (global flag); empty: $DBDUMP_CA_FILE, else <config dir>/ca.pem.
  std::string ca_file;
  // --insecure_plaintext (global flag), or $DBDUMP_INSECURE_PLAINTEXT=1.
  bool plaintext = false;
  // Reads the environment (getenv by default; tests pass their own).
  std::function<const char*(const char*)> getenv;
};

// <config dir>: $DBDUMP_CONFIG_DIR, else $XDG_CONFIG_HOME/dbdump, else
// $HOME/.config/dbdump.
std::string ClientConfigDir(const std::function<const char*(const char*)>& getenv);

// dbdumpctl's own settings, from <config dir>/config.toml (TOML): the
// controller's address (`controller = "host:port"`, below $DBDUMP_CONTROLLER
// and --controller), the CA certificate (`ca_file`, below --ca-file and
// $DBDUMP_CA_FILE) and the API token's 0600 file (`token_file`, below
// $DBDUMP_TOKEN; default <config dir>/token). Empty when the file is absent.
struct ClientConfig {
  std::string controller;
  std::string ca_file;
  std::string token_file;
};
absl::StatusOr<ClientConfig> LoadClientConfig(const std::function<const char*(const char*)>& getenv);

// FailedPrecondition saying what to put where when there is no CA
// certificate, or the token file is readable by others.
absl::StatusOr<ClientSecurity> LoadClientSecurity(const ClientSecuritySources& sources);

}  // namespace dbdump
