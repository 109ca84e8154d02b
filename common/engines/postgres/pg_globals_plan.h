// What applying a backup's globals script to a cluster means, decided
// without a server: from the script's statements, the roles the cluster
// has and the restore's mode, the statements to run (in one transaction)
// and the notes that say what was created, kept and skipped. Kept apart
// from the libpq part so that every rule is unit-tested.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/engines/postgres/pg_script_splitter.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump::pg {

// What the target cluster has, read before planning.
struct ClusterGlobals {
  std::set<std::string> roles;
  // (granted role, member) pairs of pg_auth_members.
  std::set<std::pair<std::string, std::string>> memberships;
  std::set<std::string> tablespaces;
  std::set<std::string> databases;
  std::string current_user;
  std::string bootstrap_superuser;
};

// One statement to run, and what it does for an error message: "creating
// role x", never the statement (it may hold a password hash).
struct GlobalsStep {
  std::string sql;
  std::string what;
  // Texts that must never appear in a message about this step: the string
  // constants of the statement (password hashes among them).
  std::vector<std::string> secrets;
};

struct GlobalsPlan {
  // Session settings the script's statements are written for
  // (client_encoding, standard_conforming_strings), run first.
  std::vector<GlobalsStep> session;
  std::vector<GlobalsStep> steps;
  std::vector<std::string> notes;
  std::vector<std::string> created_roles;
};

// Quotes an identifier for SQL (PQescapeIdentifier on a connection).
using QuoteIdentFn = std::function<std::string(absl::string_view)>;

// Plans `parts` (SplitPgScript of a pg_dumpall --globals-only script) for
// a cluster with `cluster`. An error names the statement's first words or
// the role concerned, never a string of the script.
absl::StatusOr<GlobalsPlan> PlanGlobals(const std::vector<ScriptPart>& parts,
                                        const ClusterGlobals& cluster, v1::GlobalsMode mode,
                                        const QuoteIdentFn& quote);

// The number of tokens SplitPgScript keeps per statement for planning: a
// GRANT names all its roles within it.
inline constexpr size_t kGlobalsHeadTokens = 4096;

}  // namespace dbdump::pg
