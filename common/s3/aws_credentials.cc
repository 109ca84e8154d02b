#include "common/s3/aws_credentials.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/ascii.h"
#include "common/base/clock.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace dbdump {

absl::StatusOr<AwsCredentials> LoadCredentialsFile(const std::string& path,
                                                   const std::string& profile) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("credentials file ", path, " not found on the agent host"));
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "credentials file ", path, " is accessible by group or others: chmod 600 it"));
  }
  std::ifstream in(path);
  std::string line, section;
  AwsCredentials c;
  bool found_profile = false;
  while (std::getline(in, line)) {
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#' || l[0] == ';') continue;
    if (l.front() == '[' && l.back() == ']') {
      section = std::string(absl::StripAsciiWhitespace(l.substr(1, l.size() - 2)));
      if (absl::StartsWith(section, "profile ")) section = section.substr(8);
      found_profile |= section == profile;
      continue;
    }
    if (section != profile) continue;
    auto eq = l.find('=');
    if (eq == absl::string_view::npos) continue;
    std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(l.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(l.substr(eq + 1)));
    if (key == "aws_access_key_id") c.access_key_id = value;
    if (key == "aws_secret_access_key") c.secret_access_key = value;
    if (key == "aws_session_token") c.session_token = value;
  }
  if (!found_profile || c.access_key_id.empty() || c.secret_access_key.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "credentials file ", path, " has no aws_access_key_id and aws_secret_access_key in [",
        profile, "]"));
  }
  return c;
}

absl::StatusOr<AwsCredentials> ResolveCredentials(const std::string& ref) {
  if (absl::StartsWith(ref, "file:/")) return LoadCredentialsFile(ref.substr(5));
  if (!ref.empty()) {
    return absl::InvalidArgumentError(
        "credentials reference must be file:/absolute/path or empty for the agent's environment");
  }
  const char* id = getenv("AWS_ACCESS_KEY_ID");
  const char* secret = getenv("AWS_SECRET_ACCESS_KEY");
  if (id && secret && *id && *secret) {
    AwsCredentials c;
    c.access_key_id = id;
    c.secret_access_key = secret;
    if (const char* tok = getenv("AWS_SESSION_TOKEN")) c.session_token = tok;
    return c;
  }
  if (const char* f = getenv("AWS_SHARED_CREDENTIALS_FILE")) {
    const char* profile = getenv("AWS_PROFILE");
    return LoadCredentialsFile(f, profile ? profile : "default");
  }
  return absl::FailedPreconditionError(
      "no S3 credentials on the agent host: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or "
      "AWS_SHARED_CREDENTIALS_FILE for dbdump-agent, or give the storage a credentials reference");
}

// --- RefreshingCredentialsProvider -------------------------------------------

RefreshingCredentialsProvider::RefreshingCredentialsProvider(Clock* clock,
                                                             absl::Duration refresh_before)
    : clock_(clock ? clock : DefaultClock()), refresh_before_(refresh_before) {}

int RefreshingCredentialsProvider::refreshes() {
  absl::MutexLock l(&mu_);
  return refreshes_;
}

void RefreshingCredentialsProvider::Invalidate() {
  absl::MutexLock l(&mu_);
  have_ = false;
}

absl::StatusOr<AwsCredentials> RefreshingCredentialsProvider::Get() {
  absl::MutexLock l(&mu_);  // held across the fetch: one call, not one per part
  if (have_ && clock_->Now() < cached_.expiration - refresh_before_) return cached_;
  absl::StatusOr<AwsCredentials> fresh = Fetch();
  if (!fresh.ok()) {
    // A hiccup at refresh time must not fail a long upload while the
    // credentials we hold are still good.
    if (have_ && clock_->Now() < cached_.expiration - absl::Seconds(30)) return cached_;
    return fresh.status();
  }
  cached_ = *std::move(fresh);
  have_ = true;
  ++refreshes_;
  return cached_;
}

}  // namespace dbdump
