// What the "s3" verbs do once the storage is open: list the backups stored
// there, or restore one of them on this machine. No controller is involved;
// the manifests in storage are the only catalogue. Kept apart from opening
// the storage so tests can run them against a LocalStorage.
#pragma once

#include <functional>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/storage/storage.h"
#include "controller/cli/output/output_format.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

struct StoredBackupsListing {
  // Key prefix of the destination, as in StorageDestination.prefix.
  std::string prefix;
  // Only this database's backups; empty = all.
  std::string database;
  OutputFormat format = OutputFormat::kTable;
  std::ostream* out = nullptr;
  // Unreadable manifests are warned about here in table mode.
  std::ostream* err = nullptr;
};

// Prints one row per committed backup (oldest first), or in JSON mode
// {"backups": [manifest, ...], "problems": ["key: why", ...]}. Unreadable
// manifests do not fail the listing. Thread-compatible.
absl::Status ListStoredBackups(Storage* storage, const StoredBackupsListing& listing);

struct StoredBackupRestore {
  // The destination `storage` was opened from; JobRunner opens it again to
  // read the dump.
  v1::StorageDestination destination;
  std::string backup_id;
  // Name of the backed-up database (the object key component).
  std::string database;
  // A database name (PostgreSQL) or an absolute file path (SQLite).
  std::string target;
  // PostgreSQL connection details (host, port, user, password_ref); the
  // engine comes from the manifest. Must be empty for SQLite backups.
  v1::DatabaseTarget connection;
  // An encrypted backup: where this machine finds the age identity (or the
  // passphrase), "file:/path" (0600) or "env:NAME". Never the secret.
  std::string identity_ref;
  // Shown in the first line, e.g. "s3://bucket/prefix".
  std::string source;

  OutputFormat format = OutputFormat::kTable;
  std::ostream* out = nullptr;
  // Where progress goes (`out` when unset), as a bar redrawn in place when
  // it is a terminal `terminal_columns` wide.
  std::ostream* err = nullptr;
  bool stderr_is_tty = false;
  int terminal_columns = 80;
  std::function<absl::Time()> now;
  // How often the job's progress is sampled.
  absl::Duration poll_interval = absl::Seconds(1);
  // Parent of the private work directory; empty = $TMPDIR, else /tmp.
  std::string temp_dir;
  // Turns SIGINT and SIGTERM into cancelling the restore, so the engine
  // undoes what it created and private files are removed. Changes the
  // process's signal mask while it runs: for the dbdumpctl binary only.
  bool handle_interrupts = false;
};

// Reads the backup's manifest to learn its engine, then restores it through
// JobRunner (which verifies both checksums of the whole dump before applying
// anything) with the engine run on this machine, showing progress like
// "--wait" does. Thread-compatible.
absl::Status RestoreStoredBackup(Storage* storage, const StoredBackupRestore& restore);

}  // namespace dbdump
