// What a verb of dbdumpctl works with: the output streams and format, the
// clock, the controller (connected on first use) and the opener of buckets.
// One per command line; the verbs (commands/<noun>.cc) take it with their
// parsed arguments. Not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/cli/args/parsed_args.h"
#include "controller/cli/output/output_format.h"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace dbdump {

namespace v1 {
class StorageDestination;
}  // namespace v1

class ControllerClient;
class Storage;

// Opens the storage a destination names; OpenStorage outside tests.
using StorageOpener = std::function<absl::StatusOr<std::unique_ptr<Storage>>(
    const v1::StorageDestination& destination)>;

class CommandContext {
 public:
  struct Options {
    // Called on the first call to the controller, so a command line found
    // wrong while checking its values never opens a channel.
    std::function<std::unique_ptr<ControllerClient>()> connect;
    // host:port of the controller, for commands that print it.
    std::string controller_address;
    std::ostream* out = nullptr;
    // Warnings that must not mix with a table or JSON on `out`.
    std::ostream* err = nullptr;
    OutputFormat format = OutputFormat::kTable;
    // Progress of followed jobs goes to `err`, as a bar redrawn in place
    // when that is a terminal `terminal_columns` wide.
    bool stderr_is_tty = false;
    int terminal_columns = 80;
    std::function<absl::Time()> now;
    // Opens the bucket of the s3 verbs; when unset they use OpenStorage,
    // after checking dbdumpctl has credentials.
    StorageOpener open_storage;
    // "s3 restore" turns SIGINT/SIGTERM into cancelling the restore.
    bool handle_interrupts = false;
  };

  explicit CommandContext(Options options);
  ~CommandContext();

  ControllerClient& client();
  std::ostream& out() const { return *options_.out; }
  std::ostream& err() const { return *options_.err; }
  bool json() const { return options_.format == OutputFormat::kJson; }
  const std::string& controller_address() const { return options_.controller_address; }
  const Options& options() const { return options_; }

  // Prints the message as JSON on out().
  absl::Status PrintJson(const google::protobuf::Message& message);

 private:
  Options options_;
  std::unique_ptr<ControllerClient> client_;
};

// The flags of a paged list: --limit=N (1 to 1000, 100 when absent) and
// --page-token=T into the request's page_size and page_token.
template <typename Request>
absl::Status ApplyPageFlags(const ParsedArgs& args, Request* req) {
  absl::StatusOr<uint32_t> limit = args.GetUint32("limit", 100, 1, 1000);
  if (!limit.ok()) return limit.status();
  req->set_page_size(*limit);
  req->set_page_token(args.Get("page-token"));
  return absl::OkStatus();
}

// When another page follows, says how to get it, on err() so a table or
// JSON stays alone on out().
void PrintNextPage(CommandContext& context, const std::string& what, const std::string& token);

}  // namespace dbdump
