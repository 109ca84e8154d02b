// What the agent asks a MongoDB server itself, through the MongoDB C driver
// (libmongoc): its version, the collections of a database with their document
// counts, and dropping a database. The driver's headers stay in
// mongo_client.cc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/engines/mongodb/mongo_connection.h"

namespace dbdump {
namespace mongo {

struct CollectionCount {
  std::string name;  // the collection's name, without the database
  int64_t documents = 0;
};

// The server's version from buildInfo, after authenticating as `c` says
// ("7.0.77"; FerretDB adds its own: "7.0.77 (FerretDB v1.24.2)"). With a
// `database`, also lists its collections, so a user who cannot read it is
// told now rather than at the first backup.
absl::StatusOr<std::string> ServerVersion(const Connection& c, const std::string& database);

// The collections of `database` (system collections left out), each with
// its exact number of documents (0 for a view), by name.
absl::StatusOr<std::vector<CollectionCount>> CountDocuments(const Connection& c,
                                                            const std::string& database);

// Drops `database`; nothing to drop is no error.
absl::Status DropDatabase(const Connection& c, const std::string& database);

}  // namespace mongo
}  // namespace dbdump
