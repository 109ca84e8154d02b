// The help text of dbdumpctl and the synopses quoted in usage errors, both
// written from the verb table (commands/verb_table.h), so they show exactly
// the verbs and flags Cli accepts. Pure functions, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "controller/cli/commands/verb_table.h"

namespace dbdump {

// Printed by "dbdumpctl help"; ends in a newline.
std::string UsageText();

// One line for usage errors: "dbdumpctl database remove NAME".
std::string Synopsis(const VerbSpec& verb);

// Checks that every flag of every verb is shown in its help lines (itself or
// through its group) and that every flag the templates name exists: what a
// test runs so the help text cannot fall behind the table.
absl::Status CheckUsage(const std::vector<VerbSpec>& verbs);

}  // namespace dbdump
