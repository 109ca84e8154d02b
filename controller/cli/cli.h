// dbdumpctl as a library: parses the command line, finds the verb in the verb
// table (commands/verb_table.h), runs it against the controller (or, for the
// s3 verbs, against a bucket) and prints to the given streams, returning the
// exit code (0 done, 1 the call or the job failed, 2 usage error). The
// environment (default address, terminal, clock, client, storage opener)
// comes in through CliOptions so tests can run it without a server.
// Thread-safe: Run is const and keeps no state between calls.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "controller/cli/commands/command_context.h"

namespace dbdump {

class ControllerClient;

// How to reach the controller, from the global flags.
struct ControllerConnection {
  std::string address;
  // Bounds each unary call.
  absl::Duration timeout;
  // --ca_file and --insecure_plaintext (see ClientSecuritySources).
  std::string ca_file;
  bool plaintext = false;
};

using ControllerClientFactory =
    std::function<std::unique_ptr<ControllerClient>(const ControllerConnection& connection)>;

struct CliOptions {
  // Used when --controller is not given.
  std::string default_controller = "127.0.0.1:7300";
  // Followed jobs show their progress on stderr, as a bar redrawn in place
  // when stderr is a terminal of this width.
  bool stderr_is_tty = false;
  int terminal_columns = 80;
  // Defaults to absl::Now.
  std::function<absl::Time()> now;
  // Defaults to a GrpcControllerClient.
  ControllerClientFactory make_client;
  // Opens the bucket of the s3 verbs; defaults to OpenStorage.
  StorageOpener open_storage;
  // "s3 restore" catches SIGINT/SIGTERM to cancel cleanly; set by RunCli
  // only, since it changes the process's signal mask while it runs.
  bool handle_interrupts = false;
};

class Cli {
 public:
  explicit Cli(CliOptions options);

  // `args` excludes the program name.
  int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) const;

 private:
  // Runs the command line; what goes to stderr is left to Run.
  absl::Status Execute(const std::vector<std::string>& args, std::ostream& out,
                       std::ostream& err) const;

  CliOptions options_;
};

// Entry point of the dbdumpctl binary: reads $DBDUMP_CONTROLLER and whether
// stderr is a terminal (and how wide), then runs Cli on argv[1..].
int RunCli(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace dbdump
