// CertificateTable: the certificates the controller issued to agents.
#include "controller/store/certificate_table.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "controller/store/db/stmt.h"

namespace dbdump {

using sqlite::Stmt;

absl::Status CertificateTable::Record(const CertificateRecord& c) {
  absl::Status st = Stmt(db_,
                         "INSERT INTO agent_certificates(serial, agent_name, fingerprint, "
                         "not_after, issued_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)")
                        .Bind(1, c.serial)
                        .Bind(2, c.agent_name)
                        .Bind(3, c.fingerprint)
                        .Bind(4, TimeToString(c.not_after))
                        .Bind(5, TimeToString(c.issued_at))
                        // A record of an already revoked certificate keeps
                        // its issue time as when it was revoked.
                        .Bind(6, c.revoked ? TimeToString(c.issued_at) : std::string())
                        .Run();
  if (absl::IsAlreadyExists(st)) {
    return absl::AlreadyExistsError(
        absl::StrCat("a certificate with serial ", c.serial, " is already recorded"));
  }
  return st;
}

absl::StatusOr<CertificateRecord> CertificateTable::Get(const std::string& serial) {
  Stmt s(db_,
         "SELECT serial, agent_name, fingerprint, not_after, issued_at, revoked_at "
         "FROM agent_certificates WHERE serial = ?");
  s.Bind(1, serial);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) {
    return absl::NotFoundError(absl::StrCat("no certificate with serial ", serial, " was issued"));
  }
  CertificateRecord c;
  c.serial = s.Text(0);
  c.agent_name = s.Text(1);
  c.fingerprint = s.Text(2);
  c.not_after = TimeFromString(s.Text(3));
  c.issued_at = TimeFromString(s.Text(4));
  c.revoked = !s.Text(5).empty();
  return c;
}

absl::StatusOr<int> CertificateTable::RevokeAgent(const std::string& agent, absl::Time now) {
  RETURN_IF_ERROR(
      Stmt(db_,
           "UPDATE agent_certificates SET revoked_at = ? WHERE agent_name = ? AND revoked_at = ''")
          .Bind(1, TimeToString(now))
          .Bind(2, agent)
          .Run());
  return sqlite3_changes(db_);
}

}  // namespace dbdump
