#include "common/engines/mongodb/mongo_client.h"

#include <mongoc/mongoc.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace mongo {
namespace {

// libmongoc's codes (mongoc-error.h) and the server's (error_codes.yml).
constexpr uint32_t kServerUnauthorized = 13;
constexpr uint32_t kServerAuthenticationFailed = 18;

void InitDriverOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    mongoc_init();
    // The driver's own log would go to the agent's stderr unformatted; every
    // failure reaches the caller as a status instead.
    mongoc_log_set_handler(nullptr, nullptr);
  });
}

struct ClientDeleter {
  void operator()(mongoc_client_t* c) const { mongoc_client_destroy(c); }
};
struct UriDeleter {
  void operator()(mongoc_uri_t* u) const { mongoc_uri_destroy(u); }
};
struct DatabaseDeleter {
  void operator()(mongoc_database_t* d) const { mongoc_database_destroy(d); }
};
struct CollectionDeleter {
  void operator()(mongoc_collection_t* c) const { mongoc_collection_destroy(c); }
};
struct CursorDeleter {
  void operator()(mongoc_cursor_t* c) const { mongoc_cursor_destroy(c); }
};
using Client = std::unique_ptr<mongoc_client_t, ClientDeleter>;

// bson_t on the stack, destroyed on scope exit.
class Bson {
 public:
  Bson() { bson_init(&b_); }
  ~Bson() { bson_destroy(&b_); }
  Bson(const Bson&) = delete;
  Bson& operator=(const Bson&) = delete;
  bson_t* get() { return &b_; }

 private:
  bson_t b_;
};

// A driver error as a status saying what to do; the password is masked in
// case a message ever carries it.
absl::Status DriverError(const std::string& what, const Connection& c, const bson_error_t& e) {
  std::string detail = e.message;
  if (!c.password.empty()) detail = absl::StrReplaceAll(detail, {{c.password, "<password>"}});
  std::string head = absl::StrCat(what, " ", c.desc, ": ");
  if ((e.domain == MONGOC_ERROR_CLIENT && e.code == MONGOC_ERROR_CLIENT_AUTHENTICATE) ||
      e.code == kServerAuthenticationFailed) {
    return absl::PermissionDeniedError(absl::StrCat(
        head, "authentication failed (", detail,
        "); check the user and the password reference (users are looked up in admin)"));
  }
  if (e.code == kServerUnauthorized) {
    return absl::PermissionDeniedError(absl::StrCat(
        head, "the user lacks a privilege (", detail,
        "); grant it the backup role to dump or the restore role to restore"));
  }
  if (e.domain == MONGOC_ERROR_SERVER_SELECTION || e.domain == MONGOC_ERROR_STREAM) {
    return absl::UnavailableError(absl::StrCat(
        head, "database server unreachable (", detail,
        "); check host and port and that the server is running"));
  }
  return absl::FailedPreconditionError(absl::StrCat(head, detail));
}

// A client for `c`: user and password are set on the parsed URI, never put
// into a connection string.
absl::StatusOr<Client> Connect(const Connection& c) {
  InitDriverOnce();
  bson_error_t error;
  std::unique_ptr<mongoc_uri_t, UriDeleter> uri(mongoc_uri_new_with_error(c.uri.c_str(), &error));
  if (!uri) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot use ", c.desc, ": ", error.message, "; check the target's host"));
  }
  if (!c.user.empty() && (!mongoc_uri_set_username(uri.get(), c.user.c_str()) ||
                          !mongoc_uri_set_password(uri.get(), c.password.c_str()))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the user or password of ", c.desc, " is not valid UTF-8: store them as UTF-8 text"));
  }
  int32_t timeout_ms = std::max(c.timeout_s, 1) * 1000;
  mongoc_uri_set_option_as_int32(uri.get(), MONGOC_URI_CONNECTTIMEOUTMS, timeout_ms);
  mongoc_uri_set_option_as_int32(uri.get(), MONGOC_URI_SERVERSELECTIONTIMEOUTMS, timeout_ms);
  mongoc_uri_set_appname(uri.get(), "dbdump-agent");
  Client client(mongoc_client_new_from_uri_with_error(uri.get(), &error));
  if (!client) return DriverError("cannot connect to", c, error);
  mongoc_client_set_error_api(client.get(), MONGOC_ERROR_API_VERSION_2);
  return client;
}

std::string Utf8Field(const bson_t* doc, const char* key) {
  bson_iter_t it;
  if (bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it)) {
    return bson_iter_utf8(&it, nullptr);
  }
  return "";
}

struct Listed {
  std::string name;
  std::string type;  // "collection", "view", "timeseries"
  bool operator<(const Listed& o) const { return name < o.name; }
};

// The collections and views of `db`, system collections left out, by name.
absl::StatusOr<std::vector<Listed>> CollectionNames(const Connection& c, mongoc_database_t* db) {
  std::unique_ptr<mongoc_cursor_t, CursorDeleter> cursor(
      mongoc_database_find_collections_with_opts(db, nullptr));
  std::vector<Listed> names;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    Listed l{Utf8Field(doc, "name"), Utf8Field(doc, "type")};
    if (l.name.empty() || l.name.rfind("system.", 0) == 0) continue;
    names.push_back(std::move(l));
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return DriverError(absl::StrCat("cannot list the collections of"), c, error);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

absl::StatusOr<std::string> ServerVersion(const Connection& c, const std::string& database) {
  ASSIGN_OR_RETURN(Client client, Connect(c));
  Bson cmd, reply;
  BSON_APPEND_INT32(cmd.get(), "buildInfo", 1);
  bson_error_t error;
  // buildInfo needs no privilege, but the driver authenticates first: a wrong
  // password fails here.
  if (!mongoc_client_command_simple(client.get(), "admin", cmd.get(), nullptr, reply.get(),
                                    &error)) {
    return DriverError("cannot connect to", c, error);
  }
  std::string version = Utf8Field(reply.get(), "version");
  if (version.empty()) version = "unknown";
  std::string ferretdb = Utf8Field(reply.get(), "ferretdbVersion");
  if (!ferretdb.empty()) absl::StrAppend(&version, " (FerretDB ", ferretdb, ")");
  if (!database.empty()) {
    std::unique_ptr<mongoc_database_t, DatabaseDeleter> db(
        mongoc_client_get_database(client.get(), database.c_str()));
    RETURN_IF_ERROR(CollectionNames(c, db.get()).status());
  }
  return version;
}

absl::StatusOr<std::vector<CollectionCount>> CountDocuments(const Connection& c,
                                                            const std::string& database) {
  ASSIGN_OR_RETURN(Client client, Connect(c));
  std::unique_ptr<mongoc_database_t, DatabaseDeleter> db(
      mongoc_client_get_database(client.get(), database.c_str()));
  ASSIGN_OR_RETURN(std::vector<Listed> listed, CollectionNames(c, db.get()));
  std::vector<CollectionCount> out;
  for (const Listed& l : listed) {
    const std::string& name = l.name;
    if (l.type == "view") {
      // mongodump writes a view's definition, no documents: nor is it
      // counted here (that would run its pipeline).
      out.push_back({name, 0});
      continue;
    }
    std::unique_ptr<mongoc_collection_t, CollectionDeleter> coll(
        mongoc_database_get_collection(db.get(), name.c_str()));
    Bson filter;
    bson_error_t error;
    int64_t n = mongoc_collection_count_documents(coll.get(), filter.get(), nullptr, nullptr,
                                                  nullptr, &error);
    if (n < 0) {
      return DriverError(absl::StrCat("cannot count the documents of collection ", name, " in"),
                         c, error);
    }
    out.push_back({name, n});
  }
  return out;
}

absl::Status DropDatabase(const Connection& c, const std::string& database) {
  ASSIGN_OR_RETURN(Client client, Connect(c));
  std::unique_ptr<mongoc_database_t, DatabaseDeleter> db(
      mongoc_client_get_database(client.get(), database.c_str()));
  bson_error_t error;
  if (!mongoc_database_drop(db.get(), &error)) {
    return DriverError("cannot drop the database of", c, error);
  }
  return absl::OkStatus();
}

}  // namespace mongo
}  // namespace dbdump
