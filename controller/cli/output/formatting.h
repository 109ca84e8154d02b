// Text forms of values shown by dbdumpctl: byte counts, durations, short
// enum names, JSON and "key: value" blocks. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "dbdump/v1/controller_service.pb.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

// 1024-based with one decimal: "512 B", "1.5 KiB", "12.0 MiB".
std::string HumanBytes(uint64_t bytes);
// The exact count with its 1024-based form: "1536 bytes (1.5 KiB)".
std::string ExactBytes(uint64_t bytes);
// Seconds with one decimal, no unit: "12.3".
std::string FormatSeconds(double seconds);
// A whole number of seconds as the duration flags take it (--timeout,
// --retry-backoff, --keep-within): the largest units first, zero parts left
// out: "6h", "5m", "1h30m", "2d3h", "45s", "0s".
std::string HumanDuration(uint64_t seconds);
// A measured time: "12.3s" under a minute, else HumanDuration of the
// rounded seconds ("1h2m5s").
std::string HumanSeconds(double seconds);
// raw / stored with two decimals, "-" when nothing was stored.
// Where a restore job goes, for people: its target, "(scratch database)"
// for a test restore, "(dry run)" for a dry run; empty for other jobs.
std::string RestoreTargetText(const dbdump::v1::Job& job);
std::string FormatRatio(uint64_t raw_bytes, uint64_t stored_bytes);
// FormatRatio with an "x" suffix ("2.50x"), as tables and summaries show it;
// "-" when nothing was stored.
std::string RatioText(uint64_t raw_bytes, uint64_t stored_bytes);

// Enum values without their prefix, lowercase: ENGINE_POSTGRES -> "postgres".
std::string EngineName(v1::Engine engine);
std::string StorageKindName(v1::StorageKind kind);
std::string JobKindName(v1::JobKind kind);
std::string JobStateName(v1::JobState state);
std::string BackupStateName(v1::BackupState state);

// Where a destination keeps its backups: the directory for local storage
// ("/srv/backups", or "/srv/backups/P" with a prefix), s3://bucket[/prefix]
// for S3.
std::string StorageLocation(const v1::StorageDestination& storage);

// The message as indented JSON with proto field names and default values,
// ending in a newline.
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message);

// Prints "key: value" lines with the values aligned; empty values print "-".
void PrintFields(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& fields);

// What a dry run or test restore found: the summary and one line per table.
void PrintRestoreReport(std::ostream& out, const dbdump::v1::RestoreReport& report);

// The selective options of a backup in command-line words, "" for none.
std::string DumpOptionsText(const dbdump::v1::DumpOptions& o);

}  // namespace dbdump
