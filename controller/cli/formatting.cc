#include "controller/cli/formatting.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/util/json_util.h"

namespace dbdump {
namespace {

std::string Short(const std::string& full, absl::string_view prefix, int number) {
  if (full.empty()) return absl::StrCat("unknown(", number, ")");
  absl::string_view name = full;
  if (absl::StartsWith(name, prefix)) name.remove_prefix(prefix.size());
  return absl::AsciiStrToLower(name);
}

}  // namespace

std::string HumanBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  double value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  // Stop one short of the next unit after rounding, so 1048575 bytes reads
  // "1.0 MiB" rather than "1024.0 KiB".
  while (value >= 1023.95 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

std::string FormatSeconds(double seconds) { return absl::StrFormat("%.1f", seconds); }

std::string FormatRatio(uint64_t raw_bytes, uint64_t stored_bytes) {
  if (stored_bytes == 0) return "-";
  return absl::StrFormat("%.2f", static_cast<double>(raw_bytes) / stored_bytes);
}

std::string EngineName(v1::Engine engine) {
  return Short(v1::Engine_Name(engine), "ENGINE_", engine);
}

std::string StorageKindName(v1::StorageKind kind) {
  return Short(v1::StorageKind_Name(kind), "STORAGE_KIND_", kind);
}

std::string JobKindName(v1::JobKind kind) {
  return Short(v1::JobKind_Name(kind), "JOB_KIND_", kind);
}

std::string JobStateName(v1::JobState state) {
  return Short(v1::JobState_Name(state), "JOB_STATE_", state);
}

std::string BackupStateName(v1::BackupState state) {
  return Short(v1::BackupState_Name(state), "BACKUP_STATE_", state);
}


std::string StorageLocation(const v1::StorageDestination& storage) {
  std::string location = storage.kind() == v1::STORAGE_KIND_S3
                             ? absl::StrCat("s3://", storage.bucket())
                             : storage.path();
  if (!storage.prefix().empty()) absl::StrAppend(&location, "/", storage.prefix());
  return location;
}

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.add_whitespace = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print the answer as json: ", status.ToString()));
  }
  if (json.empty() || json.back() != '\n') json += '\n';
  return json;
}

void PrintFields(std::ostream& out,
                 const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& field : fields) width = std::max(width, field.first.size());
  for (const auto& [key, value] : fields) {
    out << key << ':' << std::string(width - key.size() + 1, ' ') << (value.empty() ? "-" : value)
        << '\n';
  }
}

}  // namespace dbdump
