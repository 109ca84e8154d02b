#include "common/storage/write_journal.h"

#include <google/protobuf/util/json_util.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/security/private_files.h"

namespace dbdump {
namespace fs = std::filesystem;
namespace {
constexpr char kCopyInfix[] = ".copy";
constexpr size_t kCopyInfixSize = sizeof(kCopyInfix) - 1;
}  // namespace

std::string CopyJournalId(const std::string& job_id, int index) {
  return absl::StrCat(job_id, kCopyInfix, index);
}

std::string JobOfCopyJournalId(const std::string& id) {
  size_t at = id.rfind(kCopyInfix);
  if (at == std::string::npos || at == 0 || at + kCopyInfixSize == id.size()) return "";
  for (size_t i = at + kCopyInfixSize; i < id.size(); ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(id[i]))) return "";
  }
  return id.substr(0, at);
}

WriteJournal::WriteJournal(std::string dir) : dir_(std::move(dir)) {}

absl::Status WriteJournal::Init() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create the write journal ", dir_, ": ", ec.message()));
  }
  fs::permissions(dir_, fs::perms::owner_all, ec);
  return absl::OkStatus();
}

std::string WriteJournal::PathOf(const std::string& job_id) const {
  return absl::StrCat(dir_, "/", job_id, ".json");
}

std::optional<v1::WriteIntents> WriteJournal::Read(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  v1::WriteIntents w;
  if (!google::protobuf::util::JsonStringToMessage(ss.str(), &w).ok()) {
    LogWarn("agent", "write journal ", path, " cannot be read; left for a person to look at");
    return std::nullopt;
  }
  return w;
}

absl::Status WriteJournal::Write(const v1::WriteIntents& intents) {
  std::string json;
  auto printed = google::protobuf::util::MessageToJsonString(intents, &json);
  if (!printed.ok()) {
    return absl::InternalError(absl::StrCat("cannot encode the write journal of job ",
                                            intents.job_id(), ": ", std::string(printed.message())));
  }
  return WriteFileAtomically(PathOf(intents.job_id()), json, 0600);
}

absl::Status WriteJournal::Begin(const v1::WriteIntents& intents) {
  RETURN_IF_ERROR(ValidateId("job id", intents.job_id()));
  absl::MutexLock l(&mu_);
  return Write(intents);
}

absl::Status WriteJournal::Append(
    const std::string& job_id, const std::string& value,
    google::protobuf::RepeatedPtrField<std::string>* (*field)(v1::WriteIntents*)) {
  RETURN_IF_ERROR(ValidateId("job id", job_id));
  absl::MutexLock l(&mu_);
  std::optional<v1::WriteIntents> w = Read(PathOf(job_id));
  if (!w) return absl::FailedPreconditionError(absl::StrCat("job ", job_id, " has no write journal"));
  google::protobuf::RepeatedPtrField<std::string>* values = field(&*w);
  for (const std::string& v : *values) {
    if (v == value) return absl::OkStatus();
  }
  *values->Add() = value;
  return Write(*w);
}

absl::Status WriteJournal::NoteObject(const std::string& job_id, const std::string& key) {
  return Append(job_id, key, [](v1::WriteIntents* w) { return w->mutable_keys(); });
}

absl::Status WriteJournal::NoteLocalFile(const std::string& job_id, const std::string& path) {
  return Append(job_id, path, [](v1::WriteIntents* w) { return w->mutable_local_files(); });
}

std::optional<v1::WriteIntents> WriteJournal::Get(const std::string& job_id) {
  if (!ValidateId("job id", job_id).ok()) return std::nullopt;
  absl::MutexLock l(&mu_);
  return Read(PathOf(job_id));
}

std::vector<v1::WriteIntents> WriteJournal::List() {
  std::vector<v1::WriteIntents> out;
  absl::MutexLock l(&mu_);
  std::error_code ec;
  std::vector<std::string> paths;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    std::string name = e.path().filename().string();
    if (!absl::EndsWith(name, ".json")) continue;
    if (!ValidateId("job id", std::string(absl::StripSuffix(name, ".json"))).ok()) continue;
    paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());
  for (const std::string& p : paths) {
    if (std::optional<v1::WriteIntents> w = Read(p)) out.push_back(*std::move(w));
  }
  return out;
}

absl::Status WriteJournal::Clear(const std::string& job_id) {
  RETURN_IF_ERROR(ValidateId("job id", job_id));
  absl::MutexLock l(&mu_);
  if (::unlink(PathOf(job_id).c_str()) != 0 && errno != ENOENT) {
    return absl::InternalError(absl::StrCat("remove ", PathOf(job_id), ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace dbdump
