// "backup download": one object of a backup into a local file, checked
// against the SHA-256 its manifest recorded before it takes the file's name.
#pragma once

#include "absl/status/status.h"
#include "controller/cli/commands/verb_table.h"

namespace dbdump {

// The verb's row of the table (listed with the other backup verbs).
VerbSpec BackupDownloadVerb();

}  // namespace dbdump
