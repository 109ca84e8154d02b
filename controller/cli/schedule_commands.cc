// The schedule, retention, stats and health verbs of dbdumpctl (members of
// Commands, kept apart from commands.cc).
#include <cctype>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/io/compression.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "controller/cli/cli_error.h"
#include "controller/cli/commands.h"
#include "controller/cli/controller_client.h"
#include "controller/cli/formatting.h"
#include "controller/cli/table_printer.h"

namespace dbdump {
namespace {

absl::Status CheckScheduleName(const std::string& kind, const std::string& name) {
  absl::Status status = ValidateResourceName(kind, name);
  if (!status.ok()) return UsageError(status.message());
  return absl::OkStatus();
}

// "90", "90s", "15m", "12h", "30d", "4w" as seconds.
absl::StatusOr<uint64_t> ParseDurationFlag(const ParsedArgs& args, const std::string& flag) {
  std::string v = args.Get(flag);
  uint64_t unit = 1;
  std::string digits = v;
  if (!v.empty() && std::isalpha(static_cast<unsigned char>(v.back()))) {
    switch (v.back()) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      default: unit = 0;
    }
    digits = v.substr(0, v.size() - 1);
  }
  uint64_t n = 0;
  if (unit == 0 || digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(digits, &n) || n > (uint64_t{1} << 40)) {
    return UsageError(absl::StrCat("--", flag, "=", v,
                                   " is not a duration: use a number with s, m, h, d or w "
                                   "(e.g. 30d, 12h)"));
  }
  return n * unit;
}

absl::StatusOr<v1::RetentionRules> ParseRetention(const ParsedArgs& args, bool* any) {
  v1::RetentionRules r;
  *any = false;
  struct Count {
    const char* flag;
    void (v1::RetentionRules::*set)(uint32_t);
  };
  for (const Count& c : {Count{"keep-last", &v1::RetentionRules::set_keep_last},
                         Count{"keep-daily", &v1::RetentionRules::set_keep_daily},
                         Count{"keep-weekly", &v1::RetentionRules::set_keep_weekly},
                         Count{"keep-monthly", &v1::RetentionRules::set_keep_monthly},
                         Count{"keep-yearly", &v1::RetentionRules::set_keep_yearly}}) {
    if (!args.Has(c.flag)) continue;
    ASSIGN_OR_RETURN(uint32_t n, args.GetUint32(c.flag, 0, 0, 100000));
    (r.*c.set)(n);
    *any = true;
  }
  if (args.Has("keep-within")) {
    ASSIGN_OR_RETURN(uint64_t s, ParseDurationFlag(args, "keep-within"));
    r.set_keep_within_s(s);
    *any = true;
  }
  return r;
}

std::string RetentionText(const v1::RetentionRules& r) {
  std::vector<std::string> parts;
  if (r.keep_last()) parts.push_back(absl::StrCat("last ", r.keep_last()));
  if (r.keep_within_s()) parts.push_back(absl::StrCat("within ", r.keep_within_s(), "s"));
  if (r.keep_daily()) parts.push_back(absl::StrCat("daily ", r.keep_daily()));
  if (r.keep_weekly()) parts.push_back(absl::StrCat("weekly ", r.keep_weekly()));
  if (r.keep_monthly()) parts.push_back(absl::StrCat("monthly ", r.keep_monthly()));
  if (r.keep_yearly()) parts.push_back(absl::StrCat("yearly ", r.keep_yearly()));
  if (parts.empty()) return "keep everything";
  std::string out;
  for (const std::string& p : parts) absl::StrAppend(&out, out.empty() ? "" : ", ", p);
  return out;
}

// An instant as wall-clock time in `zone_name` beside its UTC form.
std::string InZone(const std::string& rfc3339, const std::string& zone_name) {
  absl::TimeZone zone;
  if (rfc3339.empty() || !absl::LoadTimeZone(zone_name, &zone)) return rfc3339;
  return absl::StrCat(absl::FormatTime("%Y-%m-%d %H:%M %Z", TimeFromString(rfc3339), zone), "  (",
                      rfc3339, ")");
}

}  // namespace

absl::Status Commands::ScheduleAdd(const ParsedArgs& args) {
  v1::CreateScheduleRequest req;
  v1::Schedule* s = req.mutable_schedule();
  s->set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckScheduleName("schedule name", s->name()));
  s->set_database(args.Get("database"));
  RETURN_IF_ERROR(CheckScheduleName("database name", s->database()));
  s->set_cron(args.Get("cron"));
  s->set_time_zone(args.Get("tz"));
  if (args.Has("compression")) {
    absl::StatusOr<v1::Compression> c = ParseCompression(args.Get("compression"));
    if (!c.ok()) return UsageError(c.status().message());
    s->set_compression(*c);
  }
  ASSIGN_OR_RETURN(int32_t level, args.GetInt32("level", 0));
  s->set_compression_level(level);
  bool any = false;
  ASSIGN_OR_RETURN(*s->mutable_retention(), ParseRetention(args, &any));
  ASSIGN_OR_RETURN(uint32_t attempts, args.GetUint32("max-attempts", 1, 1, 20));
  s->set_max_attempts(attempts);
  if (args.Has("retry-backoff")) {
    ASSIGN_OR_RETURN(uint64_t b, ParseDurationFlag(args, "retry-backoff"));
    s->set_retry_backoff_s(static_cast<uint32_t>(std::min<uint64_t>(b, UINT32_MAX)));
  }
  if (args.Has("timeout")) {
    ASSIGN_OR_RETURN(uint64_t t, ParseDurationFlag(args, "timeout"));
    s->set_timeout_s(static_cast<uint32_t>(std::min<uint64_t>(t, UINT32_MAX)));
  }
  s->set_verify_cron(args.Get("verify-cron"));
  req.set_start_disabled(args.Has("disabled"));
  ASSIGN_OR_RETURN(v1::CreateScheduleResponse resp, client().CreateSchedule(req));
  if (json()) return PrintJson(resp);
  *options_.out << "schedule " << resp.schedule().name() << " created\n";
  return PrintSchedule(resp.schedule());
}

absl::Status Commands::PrintSchedule(const v1::Schedule& s) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"name", s.name()},
      {"database", s.database()},
      {"cron", s.cron()},
      {"time zone", s.time_zone()},
      {"enabled", s.enabled() ? "yes" : "no"},
      {"compression", CompressionName(s.compression())},
      {"retention", RetentionText(s.retention())},
      {"attempts", absl::StrCat(std::max<uint32_t>(1, s.max_attempts()))},
      {"timeout", s.timeout_s() ? absl::StrCat(s.timeout_s(), "s") : "none"},
      {"verify", s.verify_cron().empty()
                     ? "not scheduled"
                     : absl::StrCat(s.verify_cron(), ", next ", InZone(s.next_verify_at(), s.time_zone()))},
      {"last run", InZone(s.last_run_at(), s.time_zone())},
      {"last outcome", s.last_outcome()},
  };
  PrintFields(*options_.out, fields);
  if (s.next_runs_size() > 0) {
    *options_.out << "next runs:\n";
    for (const std::string& t : s.next_runs()) {
      *options_.out << "  " << InZone(t, s.time_zone()) << "\n";
    }
  }
  return absl::OkStatus();
}

absl::Status Commands::ScheduleList(const ParsedArgs& args) {
  v1::ListSchedulesRequest req;
  if (args.Has("database")) {
    req.set_database(args.Get("database"));
    RETURN_IF_ERROR(CheckScheduleName("database name", req.database()));
  }
  ASSIGN_OR_RETURN(v1::ListSchedulesResponse resp, client().ListSchedules(req));
  if (json()) return PrintJson(resp);
  TablePrinter table({"NAME", "DATABASE", "CRON", "ZONE", "ENABLED", "NEXT RUN", "LAST OUTCOME"});
  for (const v1::Schedule& s : resp.schedules()) {
    table.AddRow({s.name(), s.database(), s.cron(), s.time_zone(), s.enabled() ? "yes" : "no",
                  s.next_run_at().empty() ? "-" : s.next_run_at(), s.last_outcome()});
  }
  table.Print(*options_.out);
  return absl::OkStatus();
}

absl::Status Commands::ScheduleShow(const ParsedArgs& args) {
  v1::GetScheduleRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckScheduleName("schedule name", req.name()));
  ASSIGN_OR_RETURN(uint32_t n, args.GetUint32("next", 5, 1, 100));
  req.set_next_runs(n);
  ASSIGN_OR_RETURN(v1::GetScheduleResponse resp, client().GetSchedule(req));
  if (json()) return PrintJson(resp);
  return PrintSchedule(resp.schedule());
}

absl::Status Commands::ScheduleNext(const ParsedArgs& args) {
  v1::PreviewScheduleRequest req;
  req.set_cron(args.positionals()[0]);
  req.set_time_zone(args.Get("tz"));
  ASSIGN_OR_RETURN(uint32_t n, args.GetUint32("count", 5, 1, 100));
  req.set_count(n);
  ASSIGN_OR_RETURN(v1::PreviewScheduleResponse resp, client().PreviewSchedule(req));
  if (json()) return PrintJson(resp);
  for (int i = 0; i < resp.next_runs_size(); ++i) {
    *options_.out << resp.next_runs_local(i) << "  " << resp.next_runs(i) << "\n";
  }
  return absl::OkStatus();
}

absl::Status Commands::SetEnabled(const ParsedArgs& args, bool enabled) {
  v1::SetScheduleEnabledRequest req;
  req.set_name(args.positionals()[0]);
  req.set_enabled(enabled);
  RETURN_IF_ERROR(CheckScheduleName("schedule name", req.name()));
  ASSIGN_OR_RETURN(v1::SetScheduleEnabledResponse resp, client().SetScheduleEnabled(req));
  if (json()) return PrintJson(resp);
  *options_.out << "schedule " << req.name() << (enabled ? " enabled" : " disabled");
  if (enabled && !resp.schedule().next_run_at().empty()) {
    *options_.out << ", next run "
                  << InZone(resp.schedule().next_run_at(), resp.schedule().time_zone());
  }
  *options_.out << "\n";
  return absl::OkStatus();
}

absl::Status Commands::ScheduleEnable(const ParsedArgs& args) { return SetEnabled(args, true); }
absl::Status Commands::ScheduleDisable(const ParsedArgs& args) { return SetEnabled(args, false); }

absl::Status Commands::ScheduleRun(const ParsedArgs& args) {
  v1::RunScheduleNowRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckScheduleName("schedule name", req.name()));
  ASSIGN_OR_RETURN(v1::RunScheduleNowResponse resp, client().RunScheduleNow(req));
  if (args.Has("wait")) return Follow(resp.job().id(), "");
  if (json()) return PrintJson(resp);
  *options_.out << "job " << resp.job().id() << " queued: backup of " << resp.job().database()
                << "\n";
  return absl::OkStatus();
}

absl::Status Commands::ScheduleRemove(const ParsedArgs& args) {
  v1::DeleteScheduleRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckScheduleName("schedule name", req.name()));
  ASSIGN_OR_RETURN(v1::DeleteScheduleResponse resp, client().DeleteSchedule(req));
  if (json()) return PrintJson(resp);
  *options_.out << "schedule " << req.name() << " removed\n";
  return absl::OkStatus();
}

absl::Status Commands::RetentionPlan(const ParsedArgs& args) {
  v1::PlanRetentionRequest req;
  req.set_database(args.positionals()[0]);
  RETURN_IF_ERROR(CheckScheduleName("database name", req.database()));
  bool any = false;
  ASSIGN_OR_RETURN(*req.mutable_rules(), ParseRetention(args, &any));
  req.set_use_given_rules(any);
  ASSIGN_OR_RETURN(v1::PlanRetentionResponse resp, client().PlanRetention(req));
  if (json()) return PrintJson(resp);
  int deleted = 0;
  uint64_t freed = 0;
  TablePrinter table({"BACKUP", "CREATED", "SIZE", "VERDICT", "WHY"});
  for (const v1::RetentionVerdict& v : resp.verdicts()) {
    std::string why = v.reason();
    for (const char* prefix : {"kept: ", "delete: "}) {
      if (why.rfind(prefix, 0) == 0) why = why.substr(std::string(prefix).size());
    }
    table.AddRow({v.backup_id(), v.created_at(), HumanBytes(v.stored_size_bytes()),
                  v.keep() ? "keep" : "delete", why});
    if (!v.keep()) {
      ++deleted;
      freed += v.stored_size_bytes();
    }
  }
  *options_.out << "retention of " << req.database() << ": " << resp.rules() << "\n";
  table.Print(*options_.out);
  *options_.out << "dry run: " << deleted << " of " << resp.verdicts_size()
                << " backups would be deleted, freeing " << HumanBytes(freed) << "\n";
  return absl::OkStatus();
}

absl::Status Commands::Stats(const ParsedArgs&) {
  ASSIGN_OR_RETURN(v1::GetStatsResponse resp, client().GetStats(v1::GetStatsRequest()));
  if (json()) return PrintJson(resp);
  TablePrinter table({"DATABASE", "BACKUPS", "OK", "FAILED", "SUCCESS", "STORED", "AVG DURATION",
                      "AVG RATIO", "LAST GOOD", "AGE", "STALE"});
  auto row = [&](const v1::DatabaseStats& s, const std::string& name) {
    table.AddRow({name, absl::StrCat(s.backups_total()), absl::StrCat(s.backups_succeeded()),
                  absl::StrCat(s.backups_failed()),
                  absl::StrFormat("%.0f%%", s.success_rate() * 100), HumanBytes(s.bytes_stored()),
                  FormatSeconds(s.avg_duration_s()) + "s",
                  absl::StrFormat("%.2f", s.avg_compression_ratio()),
                  s.last_good_backup_at().empty() ? "-" : s.last_good_backup_at(),
                  s.last_good_age_s() < 0 ? "-" : FormatSeconds(s.last_good_age_s()) + "s",
                  s.stale() ? "STALE" : "no"});
  };
  for (const v1::DatabaseStats& s : resp.databases()) row(s, s.database());
  row(resp.overall(), "(all)");
  table.Print(*options_.out);
  return absl::OkStatus();
}

absl::Status Commands::Health(const ParsedArgs&) {
  ASSIGN_OR_RETURN(v1::GetHealthResponse resp, client().GetHealth(v1::GetHealthRequest()));
  if (json()) return PrintJson(resp);
  PrintFields(*options_.out,
              {{"status", resp.status()},
               {"version", resp.version()},
               {"schema", absl::StrCat(resp.schema_version())},
               {"uptime", FormatSeconds(resp.uptime_s()) + "s"},
               {"agents", absl::StrCat(resp.agents_online(), " online, ", resp.agents_offline(),
                                       " offline")},
               {"jobs", absl::StrCat(resp.jobs_running(), " running, ", resp.jobs_queued(),
                                     " queued")},
               {"stale databases", absl::StrCat(resp.stale_databases())}});
  for (const std::string& p : resp.problems()) *options_.out << "problem: " << p << "\n";
  return absl::OkStatus();
}

absl::Status Commands::RetentionApply(const ParsedArgs& args) {
  v1::ApplyRetentionRequest req;
  req.set_database(args.positionals()[0]);
  RETURN_IF_ERROR(CheckScheduleName("database name", req.database()));
  ASSIGN_OR_RETURN(v1::ApplyRetentionResponse resp, client().ApplyRetention(req));
  if (json()) return PrintJson(resp);
  *options_.out << "retention of " << req.database() << ": " << resp.rules() << "\n";
  for (const std::string& id : resp.deleted()) *options_.out << "deleted " << id << "\n";
  for (const std::string& e : resp.errors()) *options_.out << "not deleted: " << e << "\n";
  *options_.out << resp.deleted_size() << " backup" << (resp.deleted_size() == 1 ? "" : "s")
                << " deleted\n";
  if (resp.errors_size() > 0) {
    return absl::UnavailableError(
        absl::StrCat(resp.errors_size(), " deletions failed; they are retried the next time"));
  }
  return absl::OkStatus();
}

absl::Status Commands::BackupVerify(const ParsedArgs& args) {
  v1::VerifyStoredBackupRequest req;
  req.set_backup_id(args.positionals()[0]);
  absl::Status id = ValidateId("backup id", req.backup_id());
  if (!id.ok()) return UsageError(id.message());
  ASSIGN_OR_RETURN(v1::VerifyStoredBackupResponse resp, client().VerifyBackup(req));
  if (json()) return PrintJson(resp);
  if (!resp.backup().verify_error().empty()) {
    return absl::DataLossError(absl::StrCat("backup ", req.backup_id(),
                                            " failed verification: ", resp.backup().verify_error()));
  }
  *options_.out << "backup " << req.backup_id() << " verified at " << resp.backup().verified_at()
                << ": both sha256 checksums match the manifest\n";
  return absl::OkStatus();
}

absl::Status Commands::RetentionSet(const ParsedArgs& args) {
  v1::SetDatabaseRetentionRequest req;
  req.set_database(args.positionals()[0]);
  RETURN_IF_ERROR(CheckScheduleName("database name", req.database()));
  bool any = false;
  ASSIGN_OR_RETURN(*req.mutable_rules(), ParseRetention(args, &any));
  req.set_time_zone(args.Get("tz", "UTC"));
  ASSIGN_OR_RETURN(v1::SetDatabaseRetentionResponse resp, client().SetDatabaseRetention(req));
  if (json()) return PrintJson(resp);
  *options_.out << "retention of " << req.database() << ": " << resp.rules() << "\n";
  return absl::OkStatus();
}

}  // namespace dbdump
