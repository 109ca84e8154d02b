#include "controller/cli/usage.h"

namespace dbdump {

absl::string_view UsageText() {
  return R"(usage: dbdumpctl [--controller=HOST:PORT] [--output=table|json] [--timeout_s=N] VERB ...

global flags (before the verb):
  --controller=HOST:PORT  controller to talk to; default $DBDUMP_CONTROLLER, else 127.0.0.1:7300
  --output=table|json     human tables (default) or the controller's answer as json
  --timeout_s=N           deadline in seconds for each call, default 30

verbs:
  agents list
  database add NAME --engine=postgres|sqlite --agent=AGENT --storage=STORAGE
               [--host=H] [--port=P] [--user=U] [--dbname=DB] [--password-ref=file:/path|env:NAME]
               [--path=/abs/file.db] [--skip-connection-test]
  database list
  database remove NAME
  storage add NAME --kind=local --path=/abs/dir [--prefix=P]
  storage list
  storage remove NAME
  backup run DATABASE [--compression=zstd|gzip|none] [--level=N] [--wait]
  backup list [--database=NAME]
  backup show BACKUP_ID
  restore BACKUP_ID --target=DBNAME_OR_PATH [--via=DATABASE] [--wait]
  job list [--database=NAME] [--limit=N]
  job show JOB_ID
  job wait JOB_ID
  help | --help

Flags are written --k=v or --k v, before or after the verb's arguments.
Passwords are never given on the command line: --password-ref names a file
or an environment variable on the agent's host that holds it.
--wait and "job wait" follow the job until it ends.

exit codes: 0 done, 1 the controller refused or the job did not succeed, 2 usage error
)";
}

}  // namespace dbdump
