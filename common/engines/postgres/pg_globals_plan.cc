#include "common/engines/postgres/pg_globals_plan.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/base/status_macros.h"

namespace dbdump::pg {
namespace {

using Kind = SqlToken::Kind;
using Tokens = std::vector<SqlToken>;

// Session settings pg_dumpall writes at the top that the statements after
// them are written for; any other SET only concerns psql's session and is
// left out.
bool IsScriptSetting(const Tokens& h) {
  if (h.size() < 2 || !h[0].IsWord("set")) return false;
  return h[1].IsWord("client_encoding") || h[1].IsWord("standard_conforming_strings") ||
         h[1].IsWord("default_transaction_read_only");
}

// The first words of a statement for an error message: keywords and names
// only, never a string constant.
std::string FirstWords(const Tokens& h) {
  std::vector<std::string> words;
  for (const SqlToken& t : h) {
    if (!t.IsName() || words.size() == 3) break;
    // Unquoted words as the splitter keeps them (lowercased): keywords
    // and names cannot be told apart here.
    words.push_back(t.kind == Kind::kWord ? t.text : absl::StrCat("\"", t.text, "\""));
  }
  return words.empty() ? "(no keyword)" : absl::StrJoin(words, " ");
}

// A role name token: a quoted name, or an unquoted one that is not a
// keyword standing for roles (ALL, PUBLIC, CURRENT_USER ...).
bool IsRoleName(const SqlToken& t) {
  if (t.kind == Kind::kQuotedName) return true;
  if (t.kind != Kind::kWord) return false;
  for (const char* k : {"all", "public", "current_user", "current_role", "session_user", "none"}) {
    if (t.text == k) return false;
  }
  return true;
}

// The text of a string constant token without its quotes, '' read as '
// (as the server would quote it back in a message).
std::string StringBody(const std::string& s) {
  absl::string_view v = s;
  if (absl::ConsumePrefix(&v, "E'") || absl::ConsumePrefix(&v, "'")) absl::ConsumeSuffix(&v, "'");
  return absl::StrReplaceAll(v, {{"''", "'"}});
}

std::vector<std::string> Strings(const Tokens& h) {
  std::vector<std::string> out;
  for (const SqlToken& t : h) {
    if (t.kind == Kind::kString) out.push_back(StringBody(t.text));
  }
  return out;
}

// Reads "name [, name]*" from h[*i]; stops before the first token that is
// not a name or a comma. False when there is no name.
bool ReadNames(const Tokens& h, size_t* i, std::vector<SqlToken>* out) {
  size_t start = out->size();
  while (*i < h.size() && h[*i].IsName()) {
    out->push_back(h[*i]);
    ++*i;
    if (*i < h.size() && h[*i].kind == Kind::kOther && h[*i].text == ",") {
      ++*i;
    } else {
      break;
    }
  }
  return out->size() > start;
}

absl::Status Unrecognised(const Tokens& h, absl::string_view why = "") {
  return absl::FailedPreconditionError(absl::StrCat(
      "the globals hold a statement dbdump does not apply (", FirstWords(h), " ...", why,
      "): this is not a pg_dumpall --globals-only script dbdump knows; restore without "
      "--globals and apply the roles by hand"));
}

// The index of the first word `w` at or after `from`, or h.size().
size_t Find(const Tokens& h, absl::string_view w, size_t from = 0) {
  for (size_t i = from; i < h.size(); ++i) {
    if (h[i].IsWord(w)) return i;
  }
  return h.size();
}

struct Membership {
  std::string group, member, grantor;
  std::string options;  // " WITH ADMIN OPTION" and the like, rebuilt from keywords
};

// GRANT group[, ...] TO member[, ...] [WITH option [value][, ...]] [GRANTED BY grantor]
absl::StatusOr<std::vector<Membership>> ParseMembership(const Tokens& h) {
  size_t i = 1;
  std::vector<SqlToken> groups, members;
  if (!ReadNames(h, &i, &groups) || i >= h.size() || !h[i].IsWord("to")) {
    return Unrecognised(h);
  }
  ++i;
  if (!ReadNames(h, &i, &members)) return Unrecognised(h);
  std::string options;
  if (i < h.size() && h[i].IsWord("with")) {
    options = " WITH";
    for (++i; i < h.size() && !h[i].IsWord("granted"); ++i) {
      const SqlToken& t = h[i];
      if (t.kind == Kind::kOther && t.text == ",") {
        options += ",";
        continue;
      }
      bool known = false;
      for (const char* k : {"admin", "inherit", "set", "option", "true", "false"}) {
        known = known || t.IsWord(k);
      }
      if (!known) return Unrecognised(h, " with an unknown membership option");
      absl::StrAppend(&options, " ", absl::AsciiStrToUpper(t.text));
    }
  }
  std::string grantor;
  if (i < h.size() && h[i].IsWord("granted")) {
    if (i + 2 >= h.size() || !h[i + 1].IsWord("by") || !IsRoleName(h[i + 2])) {
      return Unrecognised(h);
    }
    grantor = h[i + 2].text;
    i += 3;
  }
  if (i != h.size()) return Unrecognised(h);
  std::vector<Membership> out;
  for (const SqlToken& g : groups) {
    for (const SqlToken& m : members) {
      if (!IsRoleName(g) || !IsRoleName(m)) return Unrecognised(h);
      out.push_back({g.text, m.text, grantor, options});
    }
  }
  return out;
}

// The grantees of GRANT ... ON PARAMETER ... TO ... / REVOKE ... FROM ...;
// "public" for PUBLIC.
absl::StatusOr<std::vector<std::string>> ParameterGrantees(const Tokens& h, size_t on) {
  size_t to = Find(h, h[0].IsWord("grant") ? "to" : "from", on);
  if (to == h.size()) return Unrecognised(h);
  std::vector<std::string> out;
  size_t i = to + 1;
  while (i < h.size()) {
    if (h[i].IsWord("with") || h[i].IsWord("cascade") || h[i].IsWord("restrict") ||
        h[i].IsWord("granted")) {
      break;
    }
    if (h[i].IsWord("public")) {
      out.push_back("public");
    } else if (IsRoleName(h[i])) {
      out.push_back(h[i].text);
    } else if (!(h[i].kind == Kind::kOther && h[i].text == ",")) {
      return Unrecognised(h);
    }
    ++i;
  }
  if (out.empty()) return Unrecognised(h);
  return out;
}

std::string List(const std::vector<std::string>& names) {
  return absl::StrCat(absl::StrJoin(names, ", "), " (", names.size(), ")");
}

}  // namespace

absl::StatusOr<GlobalsPlan> PlanGlobals(const std::vector<ScriptPart>& parts,
                                        const ClusterGlobals& cluster, v1::GlobalsMode mode,
                                        const QuoteIdentFn& quote) {
  if (mode != v1::GLOBALS_MODE_MISSING && mode != v1::GLOBALS_MODE_REPLACE) {
    return absl::InvalidArgumentError("globals are applied as missing or replace");
  }
  const bool replace = mode == v1::GLOBALS_MODE_REPLACE;
  auto is_protected = [&](const std::string& role) {
    return role == cluster.current_user || role == cluster.bootstrap_superuser;
  };

  // The roles of the backup, in its order, and which of them are new.
  std::vector<std::string> backup_roles;
  std::set<std::string> created;
  for (const ScriptPart& p : parts) {
    if (p.piece != PgScriptSplitter::Piece::kStatement) continue;
    const Tokens& h = p.info.head;
    if (h.size() >= 2 && h[0].IsWord("create") && h[1].IsWord("role")) {
      if (h.size() != 3 || p.info.head_truncated || !IsRoleName(h[2])) {
        return Unrecognised(h, " with options dbdump does not read");
      }
      backup_roles.push_back(h[2].text);
      if (!cluster.roles.count(h[2].text)) created.insert(h[2].text);
    }
  }

  GlobalsPlan plan;
  std::vector<std::string> kept, replaced, unchanged, granted, tablespaces_present;
  std::vector<std::string> skipped_notes, grantor_notes, tablespace_notes;
  size_t tablespace_other = 0, parameter_granted = 0;
  std::vector<std::string> parameter_skipped, parameter_protected;
  bool session_authorization = false;

  // Whether the backup's statements about `role` apply; an error for a
  // role that will not exist.
  auto role_applies = [&](const std::string& role, const Tokens& h) -> absl::StatusOr<bool> {
    if (created.count(role)) return true;
    if (!cluster.roles.count(role)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the globals change role ", role, " (", FirstWords(h),
          " ...) but neither create it nor does the target have it: the globals are not a "
          "complete pg_dumpall --globals-only script; restore without --globals"));
    }
    return replace && !is_protected(role);
  };
  auto role_exists = [&](const std::string& role) {
    return created.count(role) > 0 || cluster.roles.count(role) > 0;
  };

  for (const ScriptPart& p : parts) {
    if (p.piece == PgScriptSplitter::Piece::kGap) continue;
    if (p.piece == PgScriptSplitter::Piece::kCopyData) return Unrecognised({}, " COPY data");
    if (p.piece == PgScriptSplitter::Piece::kMetaCommand) {
      // \restrict KEY / \unrestrict KEY guard psql against meta-commands
      // hidden in data; nothing here runs through psql.
      absl::string_view cmd = absl::StripLeadingAsciiWhitespace(p.text);
      if (absl::StartsWith(cmd, "\\restrict") || absl::StartsWith(cmd, "\\unrestrict")) continue;
      std::string name(cmd.substr(0, cmd.find_first_of(" \t\r\n")));
      return absl::FailedPreconditionError(absl::StrCat(
          "the globals hold the psql meta-command ", name.substr(0, 32),
          ", which dbdump does not run: this is not a pg_dumpall --globals-only script; "
          "restore without --globals"));
    }
    const Tokens& h = p.info.head;
    if (h.empty()) continue;
    GlobalsStep step;
    step.secrets = Strings(h);
    auto word = [&](size_t i, absl::string_view w) { return i < h.size() && h[i].IsWord(w); };

    if (h[0].IsWord("set") || h[0].IsWord("reset")) {
      if (IsScriptSetting(h)) {
        step.sql = p.text;
        step.what = absl::StrCat("setting ", h[1].text);
        plan.session.push_back(std::move(step));
      } else if ((word(1, "session") && word(2, "authorization")) || word(1, "role")) {
        session_authorization = true;
      }
      continue;
    }
    if (word(0, "create") && word(1, "role")) {
      const std::string& role = h[2].text;
      if (!created.count(role)) continue;
      step.sql = absl::StrCat("CREATE ROLE ", quote(role));
      step.what = absl::StrCat("creating role ", role);
      plan.steps.push_back(std::move(step));
      continue;
    }
    if (word(0, "alter") && (word(1, "role") || word(1, "user"))) {
      if (h.size() < 4 || !IsRoleName(h[2])) return Unrecognised(h);
      const std::string& role = h[2].text;
      std::string database;
      if (word(3, "with")) {
        step.what = absl::StrCat("setting the attributes and password of role ", role);
      } else if (word(3, "set") || word(3, "reset")) {
        step.what = absl::StrCat("setting a configuration parameter of role ", role);
      } else if (word(3, "in") && word(4, "database") && h.size() > 6 && h[5].IsName() &&
                 (word(6, "set") || word(6, "reset"))) {
        database = h[5].text;
        step.what = absl::StrCat("setting a configuration parameter of role ", role,
                                 " in database ", database);
      } else {
        return Unrecognised(h);
      }
      ASSIGN_OR_RETURN(bool applies, role_applies(role, h));
      if (!applies) continue;
      if (!database.empty() && !cluster.databases.count(database)) {
        skipped_notes.push_back(absl::StrCat("globals: skipped a setting of role ", role,
                                             " in database ", database,
                                             ": the target has no such database"));
        continue;
      }
      if (word(3, "with") && !created.count(role)) {
        // pg_dumpall leaves out the defaults (no connection limit, no
        // expiry): an existing role is given them first, so that it ends
        // up with the backup's attributes rather than a mix.
        GlobalsStep defaults;
        defaults.sql = absl::StrCat("ALTER ROLE ", quote(role),
                                    " WITH CONNECTION LIMIT -1 VALID UNTIL 'infinity'");
        defaults.what = step.what;
        plan.steps.push_back(std::move(defaults));
      }
      step.sql = p.text;
      plan.steps.push_back(std::move(step));
      continue;
    }
    if (word(0, "comment") && word(1, "on") && word(2, "role")) {
      if (h.size() < 5 || !IsRoleName(h[3]) || !word(4, "is")) return Unrecognised(h);
      const std::string& role = h[3].text;
      ASSIGN_OR_RETURN(bool applies, role_applies(role, h));
      if (!applies) continue;
      step.sql = p.text;
      step.what = absl::StrCat("setting the comment of role ", role);
      plan.steps.push_back(std::move(step));
      continue;
    }
    if (word(0, "create") && word(1, "tablespace")) {
      if (h.size() < 3 || !h[2].IsName()) return Unrecognised(h);
      const std::string& ts = h[2].text;
      if (cluster.tablespaces.count(ts)) {
        tablespaces_present.push_back(ts);
        continue;
      }
      size_t loc = Find(h, "location");
      std::string location =
          loc + 1 < h.size() && h[loc + 1].kind == Kind::kString ? h[loc + 1].text : "'DIRECTORY'";
      tablespace_notes.push_back(absl::StrCat(
          "globals: tablespace ", ts, " is not on the target and was not created (its "
          "directory is on the database host): create the directory ", location,
          " there, owned by the server's user, and run CREATE TABLESPACE ", quote(ts),
          " LOCATION ", location, " before restoring objects that use it"));
      continue;
    }
    if ((word(0, "alter") && word(1, "tablespace")) ||
        (word(0, "comment") && word(1, "on") && word(2, "tablespace")) ||
        (word(0, "security") && word(1, "label") && word(Find(h, "on") + 1, "tablespace"))) {
      ++tablespace_other;
      continue;
    }
    if (word(0, "grant") || word(0, "revoke")) {
      if (p.info.head_truncated) return Unrecognised(h, " naming too many roles");
      size_t on = Find(h, "on");
      if (on < h.size() && word(on + 1, "tablespace")) {
        ++tablespace_other;
        continue;
      }
      if (on < h.size() && word(on + 1, "parameter")) {
        ASSIGN_OR_RETURN(std::vector<std::string> grantees, ParameterGrantees(h, on));
        bool applies = true;
        for (const std::string& g : grantees) {
          if (g == "public") {
            applies = applies && replace;
            continue;
          }
          ASSIGN_OR_RETURN(bool a, role_applies(g, h));
          applies = applies && a;
        }
        if (!applies) {
          for (const std::string& g : grantees) {
            (is_protected(g) ? parameter_protected : parameter_skipped).push_back(g);
          }
          continue;
        }
        step.sql = p.text;
        step.what = absl::StrCat("granting privileges on a parameter to ",
                                 absl::StrJoin(grantees, ", "));
        plan.steps.push_back(std::move(step));
        ++parameter_granted;
        continue;
      }
      if (on < h.size() || !word(0, "grant")) return Unrecognised(h);
      ASSIGN_OR_RETURN(std::vector<Membership> ms, ParseMembership(h));
      for (Membership& m : ms) {
        std::string pair = absl::StrCat(m.member, " in ", m.group);
        if (!role_exists(m.group) || !role_exists(m.member)) {
          return absl::FailedPreconditionError(absl::StrCat(
              "the globals grant membership of ", pair, " but ",
              role_exists(m.group) ? m.member : m.group,
              " is neither created by them nor on the target: the globals are not a complete "
              "pg_dumpall --globals-only script; restore without --globals"));
        }
        bool present = cluster.memberships.count({m.group, m.member}) > 0;
        if (!created.count(m.member)) {
          if (is_protected(m.member)) {
            if (!present) {
              skipped_notes.push_back(absl::StrCat(
                  "globals: skipped membership of ", pair, ": ", m.member,
                  " is the restoring user or the bootstrap superuser, which are never changed"));
            }
            continue;
          }
          if (!replace) {
            if (!present) {
              skipped_notes.push_back(absl::StrCat("globals: skipped membership of existing role ",
                                                   pair, " (--globals=replace would grant it)"));
            }
            continue;
          }
        }
        std::string sql =
            absl::StrCat("GRANT ", quote(m.group), " TO ", quote(m.member), m.options);
        if (!m.grantor.empty()) {
          if (role_exists(m.grantor)) {
            absl::StrAppend(&sql, " GRANTED BY ", quote(m.grantor));
          } else {
            grantor_notes.push_back(absl::StrCat(
                "globals: granted membership of ", pair, " without GRANTED BY ", m.grantor,
                ": the target has no role ", m.grantor, " (the restoring user is its grantor)"));
          }
        }
        GlobalsStep g;
        g.sql = std::move(sql);
        g.what = absl::StrCat("granting membership of ", pair);
        plan.steps.push_back(std::move(g));
        granted.push_back(pair);
      }
      continue;
    }
    return Unrecognised(h);
  }

  for (const std::string& r : backup_roles) {
    if (created.count(r)) {
      plan.created_roles.push_back(r);
    } else if (is_protected(r)) {
      unchanged.push_back(r);
    } else if (replace) {
      replaced.push_back(r);
    } else {
      kept.push_back(r);
    }
  }
  auto& notes = plan.notes;
  if (!plan.created_roles.empty()) {
    notes.push_back(absl::StrCat("globals: created roles ", List(plan.created_roles)));
  }
  if (!kept.empty()) {
    notes.push_back(absl::StrCat("globals: kept existing roles ", absl::StrJoin(kept, ", "),
                                 " (password and attributes unchanged; --globals=replace would "
                                 "replace them)"));
  }
  if (!replaced.empty()) {
    notes.push_back(absl::StrCat(
        "globals: replaced the attributes, password, settings and comment of existing roles ",
        List(replaced)));
  }
  if (!unchanged.empty()) {
    notes.push_back(absl::StrCat("globals: left ", absl::StrJoin(unchanged, ", "),
                                 " unchanged (the restoring user and the bootstrap superuser are "
                                 "never changed)"));
  }
  if (!granted.empty()) notes.push_back(absl::StrCat("globals: granted memberships ", List(granted)));
  notes.insert(notes.end(), skipped_notes.begin(), skipped_notes.end());
  notes.insert(notes.end(), grantor_notes.begin(), grantor_notes.end());
  if (parameter_granted > 0) {
    notes.push_back(absl::StrCat("globals: granted privileges on parameters (", parameter_granted,
                                 " statements)",
                                 session_authorization
                                     ? " as the restoring user, not as their original grantors"
                                     : ""));
  }
  if (!parameter_skipped.empty()) {
    notes.push_back(absl::StrCat("globals: skipped privileges on parameters of existing roles ",
                                 absl::StrJoin(parameter_skipped, ", "),
                                 " (--globals=replace would grant them)"));
  }
  if (!parameter_protected.empty()) {
    notes.push_back(absl::StrCat("globals: skipped privileges on parameters of ",
                                 absl::StrJoin(parameter_protected, ", "),
                                 " (the restoring user and the bootstrap superuser are never "
                                 "changed)"));
  }
  if (!tablespaces_present.empty()) {
    notes.push_back(absl::StrCat("globals: tablespaces present on the target: ",
                                 absl::StrJoin(tablespaces_present, ", ")));
  }
  notes.insert(notes.end(), tablespace_notes.begin(), tablespace_notes.end());
  if (tablespace_other > 0) {
    notes.push_back(absl::StrCat("globals: left out ", tablespace_other,
                                 " statements on tablespaces (settings, comments, privileges): "
                                 "tablespaces are not changed by a restore"));
  }
  return plan;
}

}  // namespace dbdump::pg
