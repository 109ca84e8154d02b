// "version": the version of dbdump this dbdumpctl belongs to, the one the
// controller and the agents of the same build report ("health" shows the
// controller's). Needs no controller.
#include "absl/strings/str_cat.h"
#include "common/base/version.h"
#include "controller/cli/commands/command_context.h"
#include "controller/cli/commands/verb_table.h"

namespace dbdump {

std::string VersionText() { return absl::StrCat("dbdumpctl ", kVersion, "\n"); }

namespace {

absl::Status Version(CommandContext& context, const ParsedArgs&) {
  context.out() << VersionText();
  return absl::OkStatus();
}

}  // namespace

std::vector<VerbSpec> VersionVerbs() {
  VerbSpec version;
  version.noun = "version";
  version.forms = {"| --version"};
  version.run = Version;
  return {version};
}

}  // namespace dbdump
