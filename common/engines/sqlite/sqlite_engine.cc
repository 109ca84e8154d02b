#include "common/engines/sqlite/sqlite_engine.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/engines/private_file.h"
#include "common/engines/restore_target.h"
#include "common/io/fd_io.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {

// A sqlite3 handle closed on scope exit.
struct Db {
  sqlite3* db = nullptr;
  ~Db() {
    if (db) sqlite3_close_v2(db);
  }
};

// A path as the path part of a SQLite "file:" URI: '%', '?' and '#' escaped.
std::string UriPath(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      absl::StrAppend(&out, c == '%' ? "%25" : c == '?' ? "%3f" : "%23");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// A database file backed up follows the rule of a restore target's path.
absl::Status ValidatePath(const std::string& path) {
  return ValidateRestoreTarget(v1::ENGINE_SQLITE, path);
}

absl::Status Open(const std::string& path, int flags, Db* out) {
  int rc = sqlite3_open_v2(path.c_str(), &out->db, flags | SQLITE_OPEN_NOFOLLOW, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = out->db ? sqlite3_errmsg(out->db) : sqlite3_errstr(rc);
    if (rc == SQLITE_CANTOPEN) {
      return absl::NotFoundError(absl::StrCat("cannot open sqlite database ", path, ": ", msg));
    }
    return absl::FailedPreconditionError(absl::StrCat("cannot open sqlite database ", path, ": ", msg));
  }
  sqlite3_busy_timeout(out->db, 30000);
  return absl::OkStatus();
}

// Runs PRAGMA quick_check / integrity_check; "ok" or the first problem.
absl::Status CheckIntegrity(sqlite3* db, const std::string& what, bool full) {
  sqlite3_stmt* st = nullptr;
  const char* sql = full ? "PRAGMA integrity_check" : "PRAGMA quick_check";
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
    return absl::DataLossError(absl::StrCat(what, " is not a sqlite database: ", sqlite3_errmsg(db)));
  }
  std::string result;
  if (sqlite3_step(st) == SQLITE_ROW) {
    result = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  } else {
    result = sqlite3_errmsg(db);
  }
  sqlite3_finalize(st);
  if (result != "ok") {
    return absl::DataLossError(absl::StrCat(what, " failed the integrity check: ", result));
  }
  return absl::OkStatus();
}

// Tables of an open database with exact row counts (a local file: cheap).
absl::StatusOr<std::vector<v1::TableInfo>> ListTables(sqlite3* db) {
  std::vector<std::string> names;
  {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db,
                           "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                           "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                           -1, &st, nullptr) != SQLITE_OK) {
      return absl::DataLossError(absl::StrCat("cannot list tables: ", sqlite3_errmsg(db)));
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
      names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    }
    sqlite3_finalize(st);
  }
  std::vector<v1::TableInfo> out;
  for (const std::string& name : names) {
    std::string quoted = "\"";
    for (char c : name) {
      if (c == '"') quoted.push_back('"');
      quoted.push_back(c);
    }
    quoted.push_back('"');
    sqlite3_stmt* st = nullptr;
    std::string sql = absl::StrCat("SELECT count(*) FROM ", quoted);
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      // A virtual table whose module this library lacks: listed, not counted.
      v1::TableInfo t;
      t.set_name(name);
      t.set_rows(-1);
      out.push_back(std::move(t));
      continue;
    }
    v1::TableInfo t;
    t.set_name(name);
    t.set_rows(sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1);
    sqlite3_finalize(st);
    out.push_back(std::move(t));
  }
  return out;
}

// Opens a finished file read-only as it is, creating no -wal/-shm beside it.
absl::Status OpenImmutable(const std::string& path, Db* db) {
  return Open(absl::StrCat("file:", UriPath(path), "?immutable=1"),
              SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, db);
}

class SnapshotSession : public DumpSession {
 public:
  SnapshotSession(int fd, std::vector<v1::TableInfo> tables)
      : fd_(fd), source_(fd), tables_(std::move(tables)) {}
  ~SnapshotSession() override { ::close(fd_); }
  Source* source() override { return &source_; }
  absl::Status Finish() override { return absl::OkStatus(); }
  void Cancel() override {}
  std::string server_version() const override { return sqlite3_libversion(); }
  std::string tool_version() const override { return sqlite3_libversion(); }
  std::string extension() const override { return "sqlite"; }
  std::string dump_format() const override { return "sqlite database file"; }
  std::vector<v1::TableInfo> tables() const override { return tables_; }

 private:
  int fd_;
  FdSource source_;
  std::vector<v1::TableInfo> tables_;
};

// What a restored file becomes once it passed the integrity check.
enum class Placement {
  kNew,      // linked into place; never overwrites
  kReplace,  // renamed over the existing target (--clean)
  kCheck,    // dry run: checked, listed and removed
};

class FileRestoreSession : public RestoreSession {
 public:
  FileRestoreSession(int fd, std::string tmp, std::string target, Placement placement)
      : fd_(fd), sink_(fd, /*close_on_finish=*/false), tmp_(std::move(tmp)),
        target_(std::move(target)), placement_(placement) {}
  ~FileRestoreSession() override {
    if (fd_ >= 0) ::close(fd_);
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
  }
  Sink* sink() override { return &sink_; }
  absl::Status Finish() override {
    bool synced = ::fsync(fd_) == 0;
    int err = errno;
    bool closed = ::close(fd_) == 0;
    if (!closed) err = errno;
    fd_ = -1;
    if (!synced || !closed) {
      return absl::InternalError(absl::StrCat("cannot write ", tmp_, ": ", strerror(err)));
    }
    {
      Db db;
      RETURN_IF_ERROR(OpenImmutable(tmp_, &db));
      RETURN_IF_ERROR(CheckIntegrity(db.db, "restored database", /*full=*/true));
      ASSIGN_OR_RETURN(std::vector<v1::TableInfo> tables, ListTables(db.db));
      entries_ = static_cast<uint32_t>(tables.size());
    }
    if (placement_ == Placement::kCheck) return absl::OkStatus();  // the destructor removes it
    if (placement_ == Placement::kReplace) {
      if (::rename(tmp_.c_str(), target_.c_str()) != 0) {
        return absl::InternalError(absl::StrCat("cannot replace ", target_, ": ", strerror(errno)));
      }
    } else if (::link(tmp_.c_str(), target_.c_str()) != 0) {
      // link() fails if the target appeared meanwhile: never overwrite.
      return absl::AlreadyExistsError(absl::StrCat(
          "cannot place the restored database at ", target_, ": ", strerror(errno)));
    } else {
      ::unlink(tmp_.c_str());
    }
    tmp_.clear();
    return absl::OkStatus();
  }
  void Cancel() override {}
  uint32_t listed_entries() const override { return entries_; }
  std::string summary() const override {
    return absl::StrCat("integrity_check ok, ", entries_, " tables");
  }

 private:
  int fd_;
  FdSink sink_;
  std::string tmp_;
  std::string target_;
  Placement placement_;
  uint32_t entries_ = 0;
};

}  // namespace

std::string SqliteEngine::ToolVersion() { return sqlite3_libversion(); }

v1::EngineCapabilities SqliteEngine::Capabilities() const {
  v1::EngineCapabilities c;
  c.add_formats("sqlite");
  c.add_restore_options("clean");
  c.add_restore_options("dry_run");
  c.add_restore_options("test_restore");
  return c;
}

absl::Status SqliteEngine::ValidateDumpOptions(const v1::DumpOptions& o) const {
  v1::DumpOptions plain;
  plain.set_format(o.format() == "sqlite" ? "sqlite" : "");
  if (o.SerializeAsString() != plain.SerializeAsString()) {
    return absl::InvalidArgumentError(
        "SQLite backups are always the whole database file: it takes no dump options");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SqliteEngine::TestConnection(const v1::DatabaseTarget& target) {
  RETURN_IF_ERROR(ValidatePath(target.path()));
  Db db;
  RETURN_IF_ERROR(Open(target.path(), SQLITE_OPEN_READONLY, &db));
  RETURN_IF_ERROR(CheckIntegrity(db.db, target.path(), /*full=*/false));
  return std::string(sqlite3_libversion());
}

absl::StatusOr<std::unique_ptr<DumpSession>> SqliteEngine::StartDump(
    const v1::DatabaseTarget& target, const std::string& work_dir) {
  RETURN_IF_ERROR(ValidatePath(target.path()));
  ASSIGN_OR_RETURN(PrivateFile snapshot, PrivateFile::Create(work_dir, "sqlite-snapshot", ".db", ""));
  std::vector<v1::TableInfo> tables;
  {
    Db src, dst;
    RETURN_IF_ERROR(Open(target.path(), SQLITE_OPEN_READONLY, &src));
    RETURN_IF_ERROR(Open(snapshot.path(), SQLITE_OPEN_READWRITE, &dst));
    sqlite3_backup* b = sqlite3_backup_init(dst.db, "main", src.db, "main");
    if (b == nullptr) {
      return absl::InternalError(absl::StrCat("sqlite backup init failed: ", sqlite3_errmsg(dst.db)));
    }
    // One step copies every page under a single read transaction: a
    // consistent snapshot, while writers continue (WAL) or wait briefly.
    int rc;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
      return absl::UnavailableError(absl::StrCat("sqlite backup of ", target.path(),
                                                 " failed: ", sqlite3_errstr(rc)));
    }
    RETURN_IF_ERROR(CheckIntegrity(dst.db, "snapshot of " + target.path(), /*full=*/false));
    ASSIGN_OR_RETURN(tables, ListTables(dst.db));
  }
  int fd = ::open(snapshot.path().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot open snapshot: ", strerror(errno)));
  snapshot.Remove();  // the open descriptor keeps the data until we are done
  return std::unique_ptr<DumpSession>(new SnapshotSession(fd, std::move(tables)));
}

std::vector<std::string> SqliteEngine::RestoreTempFiles(const v1::DatabaseTarget& target,
                                                       const v1::Manifest& manifest,
                                                       const v1::RestoreOptions& options) const {
  // A dry run writes only into the work directory.
  if (options.dry_run()) return {};
  return {absl::StrCat(target.path(), ".dbdump-partial-", manifest.backup_id())};
}

absl::StatusOr<std::unique_ptr<RestoreSession>> SqliteEngine::StartRestore(
    const v1::DatabaseTarget& target, const v1::Manifest& manifest,
    const v1::RestoreOptions& options, const std::string& work_dir) {
  if (options.dry_run()) {
    // Written to the agent's private work directory, checked and removed.
    ASSIGN_OR_RETURN(PrivateFile tmp, PrivateFile::Create(work_dir, "sqlite-dry-run", ".db", ""));
    int fd = ::open(tmp.path().c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) return absl::InternalError(absl::StrCat("cannot open ", tmp.path(), ": ", strerror(errno)));
    std::string path = tmp.Release();  // the session removes it
    return std::unique_ptr<RestoreSession>(new FileRestoreSession(fd, path, "", Placement::kCheck));
  }
  RETURN_IF_ERROR(ValidateRestoreTarget(v1::ENGINE_SQLITE, target.path()));
  bool exists = ::access(target.path().c_str(), F_OK) == 0;
  if (exists && !options.clean()) {
    return absl::AlreadyExistsError(absl::StrCat(
        "restore target ", target.path(),
        " already exists: choose a new path, or pass --clean to replace it"));
  }
  if (exists) {
    // SQLite would apply a leftover write-ahead log or hot journal of the
    // old file to the new one on its next open.
    for (const char* suffix : {"-wal", "-journal"}) {
      struct stat st;
      std::string side = target.path() + suffix;
      if (::stat(side.c_str(), &st) == 0 && st.st_size > 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            "cannot replace ", target.path(), ": ", side,
            " exists, so the database is open or was not closed cleanly; stop the application "
            "using it (and let SQLite checkpoint), or restore to a new path"));
      }
    }
  }
  std::string dir = target.path().substr(0, target.path().rfind('/'));
  if (dir.empty()) dir = "/";
  if (::access(dir.c_str(), W_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("restore directory ", dir, " does not exist or is not writable"));
  }
  std::string tmp = RestoreTempFiles(target, manifest, options).front();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot create ", tmp, ": ", strerror(errno)));
  }
  return std::unique_ptr<RestoreSession>(new FileRestoreSession(
      fd, tmp, target.path(), exists ? Placement::kReplace : Placement::kNew));
}

absl::StatusOr<v1::DatabaseTarget> SqliteEngine::ScratchTarget(const v1::DatabaseTarget& target,
                                                               const std::string& id,
                                                               const std::string& work_dir) {
  v1::DatabaseTarget scratch = target;
  scratch.set_path(absl::StrCat(work_dir, "/scratch-", ScratchSuffix(id), ".sqlite"));
  return scratch;
}

absl::StatusOr<std::vector<v1::TableInfo>> SqliteEngine::InspectTables(
    const v1::DatabaseTarget& target) {
  Db db;
  RETURN_IF_ERROR(OpenImmutable(target.path(), &db));
  return ListTables(db.db);
}

absl::Status SqliteEngine::DropScratch(const v1::DatabaseTarget& target) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::string p = target.path() + suffix;
    if (::unlink(p.c_str()) != 0 && errno != ENOENT) {
      return absl::InternalError(absl::StrCat("cannot remove ", p, ": ", strerror(errno)));
    }
  }
  return absl::OkStatus();
}

}  // namespace dbdump
