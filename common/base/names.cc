#include "common/base/names.h"

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dbdump {
namespace {

bool NameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

std::string RandomHex() {
  absl::BitGen gen;
  return absl::StrFormat("%08x", absl::Uniform<uint32_t>(gen));
}

}  // namespace

absl::Status ValidateResourceName(const std::string& kind, const std::string& name) {
  if (name.empty() || name.size() > 63) {
    return absl::InvalidArgumentError(
        absl::StrCat(kind, " must be 1 to 63 characters long"));
  }
  if (!absl::ascii_isalnum(static_cast<unsigned char>(name[0]))) {
    return absl::InvalidArgumentError(absl::StrCat(
        kind, " \"", name, "\" must start with a letter or digit"));
  }
  for (char c : name) {
    if (!NameChar(c)) {
      return absl::InvalidArgumentError(absl::StrCat(
          kind, " \"", name, "\" may only contain letters, digits, '.', '_' and '-'"));
    }
  }
  if (name.find("..") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(kind, " \"", name, "\" must not contain \"..\""));
  }
  return absl::OkStatus();
}

absl::Status ValidatePgDatabaseName(const std::string& name) {
  return ValidateServerDatabaseName("postgresql", name, 63);
}

absl::Status ValidatePgRoleName(const std::string& name) {
  if (name.empty() || name.size() > 63 || name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        "a PostgreSQL role name is 1-63 bytes without a NUL byte, as the role is named on the "
        "target server");
  }
  return absl::OkStatus();
}

absl::Status ValidateServerDatabaseName(const std::string& engine_label, const std::string& name,
                                        size_t max_bytes) {
  if (name.empty()) return absl::InvalidArgumentError(engine_label + " database name is empty");
  if (name.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(engine_label, " database name is longer than ",
                                                   max_bytes, " bytes"));
  }
  if (name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(engine_label + " database name contains a NUL byte");
  }
  return absl::OkStatus();
}

std::string NewBackupId(absl::Time now) {
  return absl::StrCat(absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone()), "-",
                      RandomHex());
}

std::string NewJobId(absl::Time now) {
  return absl::StrCat("job-", absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone()),
                      "-", RandomHex());
}

absl::Status ValidateId(const std::string& kind, const std::string& id) {
  return ValidateResourceName(kind, id);
}

std::string TimeToString(absl::Time t) {
  if (t == absl::InfinitePast()) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseTimeBound(const std::string& field, const std::string& text,
                                          absl::Time open) {
  if (text.empty()) return open;
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " \"", text, "\" is not an RFC 3339 time (e.g. 2026-12-06T10:00:00Z)"));
  }
  return t;
}

absl::Time TimeFromString(const std::string& s) {
  absl::Time t;
  std::string err;
  if (s.empty() || !absl::ParseTime("%Y-%m-%dT%H:%M:%SZ", s, absl::UTCTimeZone(), &t, &err)) {
    return absl::InfinitePast();
  }
  return t;
}

std::string ScratchSuffix(const std::string& id) {
  std::string out;
  for (char c : id) {
    if (out.size() >= 40) break;
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    } else {
      out.push_back('_');
    }
  }
  return out;
}

}  // namespace dbdump
