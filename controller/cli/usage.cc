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
  database add NAME --engine=postgres|mysql|mongodb|sqlite --agent=AGENT --storage=STORAGE
               [--host=H] [--port=P] [--user=U] [--dbname=DB] [--password-ref=file:/path|env:NAME]
               [--path=/abs/file.db] [--skip-connection-test] [dump options]
  database list
  database remove NAME
  storage add NAME --kind=local --path=/abs/dir [--prefix=P] [--probe-agent=AGENT] [--skip-probe]
  storage add NAME --kind=s3 --bucket=B [--prefix=P] [--region=R] [--endpoint=URL] [--path-style]
              [--role-arn=ARN] [--external-id=ID] [--sts-endpoint=URL]
              [--sse=AES256|aws:kms] [--kms-key-id=K] [--storage-class=C]
              [--credentials-ref=file:/path] [--part-size=SIZE] [--upload-concurrency=N]
              [--max-parts=N] [--ca-file=/path] [--probe-agent=AGENT] [--skip-probe]
  storage list
  storage remove NAME
  backup run DATABASE [--compression=zstd|gzip|none] [--level=N] [--wait]
  backup list [--database=NAME]
  backup show BACKUP_ID
  restore BACKUP_ID [--target=DBNAME_OR_PATH] [--via=DATABASE] [--clean] [--no-create]
          [--jobs=N] [--wait]
  restore BACKUP_ID --dry-run [--via=DATABASE] [--wait]
  backup test-restore BACKUP_ID [--via=DATABASE] [--jobs=N] [--wait]
  job list [--database=NAME] [--limit=N]
  job show JOB_ID
  job wait JOB_ID
  s3 list s3://BUCKET[/PREFIX] [--database=NAME] [S3 flags]
  s3 restore s3://BUCKET[/PREFIX] BACKUP_ID --database=NAME --target=DBNAME_OR_PATH
             [--host=H] [--port=P] [--user=U] [--password-ref=file:/path|env:NAME] [S3 flags]
  schedule add NAME --database=DB --cron=EXPR --tz=ZONE [--compression=zstd|gzip|none]
               [--level=N] [--max-attempts=N] [--retry-backoff=DURATION] [--timeout=DURATION]
               [--verify-cron=EXPR] [--disabled] [retention flags]
  schedule list [--database=NAME]
  schedule show NAME [--next=N]
  schedule next EXPR --tz=ZONE [--count=N]
  schedule enable NAME | schedule disable NAME | schedule remove NAME
  schedule run NAME [--wait]
  retention plan DATABASE [retention flags]
  retention set DATABASE [--tz=ZONE] [retention flags]
  retention apply DATABASE
  backup verify BACKUP_ID
  stats
  health
  help | --help

dump options of "database add" (what each backup holds; names are exact, not patterns;
the flags marked * may be repeated):
  postgres: [--format=custom|plain] [--schema-only | --data-only] [--table=[SCHEMA.]TABLE]*
            [--exclude-table=[SCHEMA.]TABLE]* [--schema=S]* [--exclude-schema=S]* [--globals]
  mysql:    [--schema-only | --data-only] [--table=TABLE]* [--exclude-table=TABLE]*
            [--also-database=DB]* [--all-databases]
  mongodb:  [--namespace=DB.COLLECTION | --exclude-namespace=DB.COLLECTION]
--globals stores roles and tablespaces (pg_dumpall --globals-only) beside the dump.

restore: without --target the backup goes back into its original database. It
creates a missing database (not with --no-create) and never drops anything
unless --clean is given. --jobs=N restores in parallel where the engine can
(PostgreSQL custom format: not one transaction then). --dry-run downloads the
backup, checks its checksums and lists it with the engine's own tool, and
touches no database. "backup test-restore" restores into a scratch database,
checks its tables against the backup's, drops it and records the result on
the backup ("backup show").

S3 flags of the s3 verbs:
  [--endpoint=URL] [--region=R] [--path-style] [--credentials-ref=file:/path]
  [--role-arn=ARN] [--external-id=ID] [--sts-endpoint=URL] [--ca-file=/path]

Flags are written --k=v or --k v, before or after the verb's arguments.
Passwords are never given on the command line: --password-ref names a file
or an environment variable on the agent's host that holds it.
--wait and "job wait" follow the job until it ends.
S3 keys are never given on the command line either: --credentials-ref names
an AWS credentials file, else the environment (AWS_ACCESS_KEY_ID, ...) is used.
SIZE is a byte count, optionally with a KiB, MiB or GiB suffix: --part-size=8MiB.
"s3 list" and "s3 restore" need no controller: they read the bucket from this
machine, and "s3 restore" verifies the backup's checksums, then restores it here.

EXPR is a cron expression, one argument: "30 2 * * *", "0 */6 * * mon-fri",
@hourly, @daily, @weekly, @monthly or @yearly. ZONE is an IANA time zone
(Europe/Berlin, UTC); there is no default. DURATION is a number with s, m, h,
d or w: --keep-within=30d.
retention flags: [--keep-last=N] [--keep-within=DURATION] [--keep-daily=N]
  [--keep-weekly=N] [--keep-monthly=N] [--keep-yearly=N]; "retention set" gives
  a database its own rules (no flags: removes them), which take precedence over
  its schedule's; "retention plan" is a dry run: without flags it uses those.

exit codes: 0 done, 1 the controller or the storage refused, or the job did not succeed,
            2 usage error
)";
}

}  // namespace dbdump
