#include "controller/cli/output/formatting.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

std::string ExactBytes(uint64_t bytes) {
  return absl::StrCat(bytes, " bytes (", HumanBytes(bytes), ")");
}

std::string FormatSeconds(double seconds) { return absl::StrFormat("%.1f", seconds); }

std::string HumanDuration(uint64_t seconds) {
  if (seconds == 0) return "0s";
  struct Unit {
    uint64_t seconds;
    char suffix;
  };
  std::string out;
  for (const Unit& unit : {Unit{86400, 'd'}, Unit{3600, 'h'}, Unit{60, 'm'}, Unit{1, 's'}}) {
    uint64_t n = seconds / unit.seconds;
    seconds %= unit.seconds;
    if (n > 0) absl::StrAppend(&out, n, std::string(1, unit.suffix));
  }
  return out;
}

std::string HumanSeconds(double seconds) {
  if (!(seconds >= 0)) seconds = 0;
  if (seconds < 59.95) return absl::StrCat(FormatSeconds(seconds), "s");
  return HumanDuration(static_cast<uint64_t>(seconds + 0.5));
}

std::string RestoreTargetText(const v1::Job& job) {
  if (job.kind() != v1::JOB_KIND_RESTORE) return job.restore_target();
  if (job.restore_options().test_restore()) return "(scratch database)";
  if (job.restore_options().dry_run()) return "(dry run)";
  return job.restore_target();
}

std::string FormatRatio(uint64_t raw_bytes, uint64_t stored_bytes) {
  if (stored_bytes == 0) return "-";
  return absl::StrFormat("%.2f", static_cast<double>(raw_bytes) / stored_bytes);
}

std::string RatioText(uint64_t raw_bytes, uint64_t stored_bytes) {
  std::string ratio = FormatRatio(raw_bytes, stored_bytes);
  return ratio == "-" ? ratio : absl::StrCat(ratio, "x");
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

void PrintRestoreReport(std::ostream& out, const v1::RestoreReport& report) {
  if (!report.summary().empty()) out << report.summary() << "\n";
  for (const std::string& note : report.notes()) out << note << "\n";
  if (report.test_restore() && !report.scratch_database().empty()) {
    out << "scratch database " << report.scratch_database()
        << (report.scratch_dropped() ? " dropped" : " NOT dropped: remove it by hand") << "\n";
  }
  for (const v1::TableCheck& t : report.tables()) {
    out << "  " << (t.ok() ? "ok      " : "PROBLEM ") << t.name() << ": ";
    if (t.restored_rows() < 0) {
      out << "missing";
    } else {
      out << t.restored_rows() << " rows";
      if (t.expected_rows() >= 0) out << " (" << t.expected_rows() << " at backup time)";
    }
    out << "\n";
  }
}

std::string DumpOptionsText(const v1::DumpOptions& o) {
  std::vector<std::string> words;
  if (!o.format().empty()) words.push_back("--format=" + o.format());
  if (o.schema_only()) words.push_back("--schema-only");
  if (o.data_only()) words.push_back("--data-only");
  for (const auto& v : o.include_tables()) words.push_back("--table=" + v);
  for (const auto& v : o.exclude_tables()) words.push_back("--exclude-table=" + v);
  for (const auto& v : o.include_schemas()) words.push_back("--schema=" + v);
  for (const auto& v : o.exclude_schemas()) words.push_back("--exclude-schema=" + v);
  if (o.globals()) words.push_back("--globals");
  for (const auto& v : o.databases()) words.push_back("--also-database=" + v);
  if (o.all_databases()) words.push_back("--all-databases");
  for (const auto& v : o.include_namespaces()) words.push_back("--namespace=" + v);
  for (const auto& v : o.exclude_namespaces()) words.push_back("--exclude-namespace=" + v);
  return absl::StrJoin(words, " ");
}

}  // namespace dbdump
