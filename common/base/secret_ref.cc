#include "common/base/secret_ref.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"

namespace dbdump {

absl::Status ValidateSecretRef(const std::string& ref) {
  if (ref.empty()) return absl::OkStatus();
  if (absl::StartsWith(ref, "file:/") && ref.find("/../") == std::string::npos) {
    return absl::OkStatus();
  }
  if (absl::StartsWith(ref, "env:") && ref.size() > 4) {
    for (char c : ref.substr(4)) {
      if (!(isalnum(static_cast<unsigned char>(c)) || c == '_')) {
        return absl::InvalidArgumentError("password reference env:NAME must name a variable");
      }
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      "password reference must be file:/absolute/path or env:NAME; the password itself is "
      "never sent to dbdump");
}

namespace {

// `whole`: the file's contents, else its first line.
absl::StatusOr<std::string> Resolve(const std::string& ref, bool whole) {
  RETURN_IF_ERROR(ValidateSecretRef(ref));
  if (ref.empty()) return std::string();
  if (absl::StartsWith(ref, "env:")) {
    const char* v = getenv(ref.substr(4).c_str());
    if (v == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("password reference ", ref, ": the agent has no such variable"));
    }
    return std::string(v);
  }
  std::string path = ref.substr(5);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("password reference ", ref, ": file not found on the agent host"));
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "password reference ", ref, ": file is accessible by group or others; chmod 600 it"));
  }
  std::ifstream in(path);
  if (whole) {
    if (!in) {
      return absl::FailedPreconditionError(
          absl::StrCat("secret reference ", ref, ": cannot read the file"));
    }
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::string line;
  if (!in || !std::getline(in, line)) {
    return absl::FailedPreconditionError(
        absl::StrCat("password reference ", ref, ": cannot read the file"));
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

absl::StatusOr<std::string> ResolveSecretRef(const std::string& ref) {
  return Resolve(ref, false);
}

absl::StatusOr<std::string> ResolveSecretRefContents(const std::string& ref) {
  return Resolve(ref, true);
}

}  // namespace dbdump
