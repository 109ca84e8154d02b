// AgentTable: the agents that registered, and their heartbeats.
#include "controller/store/agent_table.h"

#include <sqlite3.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "controller/store/db/stmt.h"

namespace dbdump {

using sqlite::CollectRows;
using sqlite::Stmt;

namespace {

// The columns AgentFromRow reads. Revoked: certificates were issued to the
// agent and every one is revoked (an agent enrolled again after a
// revocation has an active one).
constexpr char kSelectAgents[] =
    "SELECT name, address, version, engines, registered_at, last_heartbeat, "
    "(EXISTS (SELECT 1 FROM agent_certificates c WHERE c.agent_name = agents.name) AND "
    "NOT EXISTS (SELECT 1 FROM agent_certificates c WHERE c.agent_name = agents.name AND "
    "c.revoked_at = '')), tool_versions FROM agents ";

v1::Agent AgentFromRow(Stmt& s) {
  v1::Agent a;
  a.set_name(s.Text(0));
  a.set_address(s.Text(1));
  a.set_version(s.Text(2));
  for (absl::string_view e : absl::StrSplit(s.Text(3), ',', absl::SkipEmpty())) {
    int v = 0;
    if (absl::SimpleAtoi(e, &v)) a.add_engines(static_cast<v1::Engine>(v));
  }
  a.set_registered_at(s.Text(4));
  a.set_last_heartbeat(s.Text(5));
  a.set_revoked(s.Int(6) != 0);
  // Serialized AgentCapabilities holding only the tool versions.
  v1::AgentCapabilities tools;
  if (tools.ParseFromString(s.Blob(7))) *a.mutable_tool_versions() = tools.tool_versions();
  return a;
}

}  // namespace

absl::Status AgentTable::Upsert(const v1::Agent& a, absl::Time now) {
  std::vector<std::string> engines;
  for (int e : a.engines()) engines.push_back(absl::StrCat(e));
  std::string t = TimeToString(now);
  v1::AgentCapabilities tools;
  *tools.mutable_tool_versions() = a.tool_versions();
  return Stmt(db_,
              "INSERT INTO agents(name, address, version, engines, registered_at, last_heartbeat, "
              "tool_versions) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6) ON CONFLICT(name) DO UPDATE SET "
              "address = ?2, version = ?3, engines = ?4, registered_at = ?5, last_heartbeat = ?5, "
              "tool_versions = ?6")
      .Bind(1, a.name())
      .Bind(2, a.address())
      .Bind(3, a.version())
      .Bind(4, absl::StrJoin(engines, ","))
      .Bind(5, t)
      .BindBlob(6, tools.SerializeAsString())
      .Run();
}

absl::Status AgentTable::Touch(const std::string& name, absl::Time now) {
  RETURN_IF_ERROR(Stmt(db_, "UPDATE agents SET last_heartbeat = ? WHERE name = ?")
                      .Bind(1, TimeToString(now))
                      .Bind(2, name)
                      .Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat("agent ", name, " is not registered"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Agent>> AgentTable::List() {
  Stmt s(db_, absl::StrCat(kSelectAgents, "ORDER BY name").c_str());
  return CollectRows<v1::Agent>(s, AgentFromRow);
}

absl::StatusOr<v1::Agent> AgentTable::Get(const std::string& name) {
  Stmt s(db_, absl::StrCat(kSelectAgents, "WHERE name = ?").c_str());
  s.Bind(1, name);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) {
    return absl::NotFoundError(absl::StrCat(
        "unknown agent \"", name, "\": start dbdump-agent --name=", name,
        " or see `dbdumpctl agents list`"));
  }
  return AgentFromRow(s);
}

absl::Status AgentTable::Remove(const std::string& name) {
  RETURN_IF_ERROR(Get(name).status());
  Stmt dbs(db_, "SELECT name FROM databases WHERE agent = ? ORDER BY name");
  dbs.Bind(1, name);
  std::vector<std::string> names;
  while (true) {
    ASSIGN_OR_RETURN(bool row, dbs.Step());
    if (!row) break;
    names.push_back(dbs.Text(0));
  }
  if (!names.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "agent \"", name, "\" backs up ", names.size() == 1 ? "database " : "databases ",
        absl::StrJoin(names, ", "), ": move ", names.size() == 1 ? "it" : "them",
        " to another agent first (dbdumpctl database update NAME --agent=OTHER) or remove ",
        names.size() == 1 ? "it" : "them"));
  }
  Stmt jobs(db_, "SELECT id FROM jobs WHERE agent = ? AND state IN (1, 2) LIMIT 1");
  jobs.Bind(1, name);
  ASSIGN_OR_RETURN(bool active, jobs.Step());
  if (active) {
    return absl::FailedPreconditionError(
        absl::StrCat("agent \"", name, "\" has job ", jobs.Text(0),
                     " in progress: wait for it or cancel it (dbdumpctl job cancel ",
                     jobs.Text(0), ")"));
  }
  return Stmt(db_, "DELETE FROM agents WHERE name = ?").Bind(1, name).Run();
}

}  // namespace dbdump
