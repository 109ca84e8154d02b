// Names and quoting of MongoDB: database names, namespaces, YAML scalars
// and mongorestore namespace patterns.
#pragma once

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dbdump {

// A MongoDB database name as the server accepts it on Linux: 1-63 bytes,
// none of / \ . " $, space or NUL.
absl::Status ValidateMongoDatabaseName(const std::string& name);

// A namespace "db.collection" split at its first dot, both parts checked
// (the collection: not empty, no NUL, no '$').
absl::StatusOr<std::pair<std::string, std::string>> SplitMongoNamespace(const std::string& ns);

// `s` as a YAML double-quoted scalar, quotes included; an error when `s` is
// not UTF-8 (YAML cannot carry it).
absl::StatusOr<std::string> YamlDoubleQuoted(absl::string_view s);

// `name` escaped for a mongorestore namespace pattern (--nsFrom, --nsTo):
// '\' and '*' get a backslash, so the name matches only itself.
std::string MongoNsPatternEscape(absl::string_view name);

}  // namespace dbdump
