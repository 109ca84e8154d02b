// "schedule add|list|show|update|next|enable|disable|run|remove": the controller's
// backup schedules.
#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/io/compression.h"
#include "controller/cli/args/cli_error.h"
#include "controller/cli/args/value_checks.h"
#include "controller/cli/client/controller_client.h"
#include "controller/cli/commands/command_context.h"
#include "controller/cli/commands/flag_groups.h"
#include "controller/cli/commands/job_follow.h"
#include "controller/cli/commands/verb_table.h"
#include "controller/cli/output/formatting.h"
#include "controller/cli/output/table_printer.h"

namespace dbdump {
namespace {

std::string RetentionText(const v1::RetentionRules& r) {
  std::vector<std::string> parts;
  if (r.keep_last()) parts.push_back(absl::StrCat("last ", r.keep_last()));
  if (r.keep_within_s()) {
    parts.push_back(absl::StrCat("within ", HumanDuration(r.keep_within_s())));
  }
  if (r.keep_daily()) parts.push_back(absl::StrCat("daily ", r.keep_daily()));
  if (r.keep_weekly()) parts.push_back(absl::StrCat("weekly ", r.keep_weekly()));
  if (r.keep_monthly()) parts.push_back(absl::StrCat("monthly ", r.keep_monthly()));
  if (r.keep_yearly()) parts.push_back(absl::StrCat("yearly ", r.keep_yearly()));
  if (parts.empty()) return "keep everything";
  std::string out;
  for (const std::string& p : parts) absl::StrAppend(&out, out.empty() ? "" : ", ", p);
  return out;
}

// The controller waits retry_backoff_s (60 s when 0) before the first
// retry and doubles it for each further one.
std::string RetryBackoffText(const v1::Schedule& s) {
  if (s.max_attempts() <= 1) return "none (one attempt)";
  return absl::StrCat(HumanDuration(s.retry_backoff_s() == 0 ? 60 : s.retry_backoff_s()),
                      ", doubled for each further retry");
}

// An instant as wall-clock time in `zone_name` beside its UTC form.
std::string InZone(const std::string& rfc3339, const std::string& zone_name) {
  absl::TimeZone zone;
  if (rfc3339.empty() || !absl::LoadTimeZone(zone_name, &zone)) return rfc3339;
  return absl::StrCat(absl::FormatTime("%Y-%m-%d %H:%M %Z", TimeFromString(rfc3339), zone), "  (",
                      rfc3339, ")");
}

void PrintSchedule(std::ostream& out, const v1::Schedule& s) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"name", s.name()},
      {"database", s.database()},
      {"cron", s.cron()},
      {"time zone", s.time_zone()},
      {"enabled", s.enabled() ? "yes" : "no"},
      {"compression", CompressionName(s.compression())},
      {"retention", RetentionText(s.retention())},
      {"attempts", absl::StrCat(std::max<uint32_t>(1, s.max_attempts()))},
      {"retry backoff", RetryBackoffText(s)},
      {"timeout", s.timeout_s() ? HumanDuration(s.timeout_s()) : "none"},
      {"verify", s.verify_cron().empty()
                     ? "not scheduled"
                     : absl::StrCat(s.verify_cron(), ", next ",
                                    InZone(s.next_verify_at(), s.time_zone()))},
      {"last run", InZone(s.last_run_at(), s.time_zone())},
      {"last outcome", s.last_outcome()},
  };
  PrintFields(out, fields);
  if (s.next_runs_size() > 0) {
    out << "next runs:\n";
    for (const std::string& t : s.next_runs()) out << "  " << InZone(t, s.time_zone()) << "\n";
  }
}

absl::Status ScheduleAdd(CommandContext& context, const ParsedArgs& args) {
  v1::CreateScheduleRequest req;
  v1::Schedule* s = req.mutable_schedule();
  s->set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("schedule name", s->name()));
  s->set_database(args.Get("database"));
  RETURN_IF_ERROR(CheckName("database name", s->database()));
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
  RETURN_IF_ERROR(ParseRetention(args, s->mutable_retention(), &any));
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
  ASSIGN_OR_RETURN(v1::CreateScheduleResponse resp, context.client().CreateSchedule(req));
  if (context.json()) return context.PrintJson(resp);
  context.out() << "schedule " << resp.schedule().name() << " created\n";
  PrintSchedule(context.out(), resp.schedule());
  return absl::OkStatus();
}

// Each flag given sets one field and names it in the update mask; a
// retention flag changes that rule alone.
absl::Status ScheduleUpdate(CommandContext& context, const ParsedArgs& args) {
  v1::UpdateScheduleRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("schedule name", req.name()));
  v1::Schedule* s = req.mutable_schedule();
  google::protobuf::FieldMask* mask = req.mutable_update_mask();
  if (args.Has("database")) {
    s->set_database(args.Get("database"));
    RETURN_IF_ERROR(CheckName("database name", s->database()));
    mask->add_paths("database");
  }
  if (args.Has("cron")) {
    s->set_cron(args.Get("cron"));
    mask->add_paths("cron");
  }
  if (args.Has("tz")) {
    s->set_time_zone(args.Get("tz"));
    mask->add_paths("time_zone");
  }
  if (args.Has("compression")) {
    absl::StatusOr<v1::Compression> c = ParseCompression(args.Get("compression"));
    if (!c.ok()) return UsageError(c.status().message());
    s->set_compression(*c);
    mask->add_paths("compression");
  }
  if (args.Has("level")) {
    ASSIGN_OR_RETURN(int32_t level, args.GetInt32("level", 0));
    s->set_compression_level(level);
    mask->add_paths("compression_level");
  }
  bool any = false;
  RETURN_IF_ERROR(ParseRetention(args, s->mutable_retention(), &any));
  for (const auto& [flag, field] : std::vector<std::pair<std::string, std::string>>{
           {"keep-last", "keep_last"}, {"keep-within", "keep_within_s"},
           {"keep-daily", "keep_daily"}, {"keep-weekly", "keep_weekly"},
           {"keep-monthly", "keep_monthly"}, {"keep-yearly", "keep_yearly"}}) {
    if (args.Has(flag)) mask->add_paths("retention." + field);
  }
  if (args.Has("max-attempts")) {
    ASSIGN_OR_RETURN(uint32_t attempts, args.GetUint32("max-attempts", 1, 1, 20));
    s->set_max_attempts(attempts);
    mask->add_paths("max_attempts");
  }
  if (args.Has("retry-backoff")) {
    ASSIGN_OR_RETURN(uint64_t b, ParseDurationFlag(args, "retry-backoff"));
    s->set_retry_backoff_s(static_cast<uint32_t>(std::min<uint64_t>(b, UINT32_MAX)));
    mask->add_paths("retry_backoff_s");
  }
  if (args.Has("timeout")) {
    ASSIGN_OR_RETURN(uint64_t t, ParseDurationFlag(args, "timeout"));
    s->set_timeout_s(static_cast<uint32_t>(std::min<uint64_t>(t, UINT32_MAX)));
    mask->add_paths("timeout_s");
  }
  if (args.Has("verify-cron") && args.Has("no-verify")) {
    return UsageError("--verify-cron and --no-verify contradict each other: give one of them");
  }
  if (args.Has("verify-cron") || args.Has("no-verify")) {
    s->set_verify_cron(args.Get("verify-cron"));  // empty: no scheduled verification
    mask->add_paths("verify_cron");
  }
  if (mask->paths().empty()) {
    return UsageError("nothing to update: give the settings to change, e.g. --cron=EXPR or "
                      "--keep-daily=N");
  }
  ASSIGN_OR_RETURN(v1::UpdateScheduleResponse resp, context.client().UpdateSchedule(req));
  if (context.json()) return context.PrintJson(resp);
  context.out() << "schedule " << req.name() << " updated\n";
  PrintSchedule(context.out(), resp.schedule());
  return absl::OkStatus();
}

absl::Status ScheduleList(CommandContext& context, const ParsedArgs& args) {
  v1::ListSchedulesRequest req;
  if (args.Has("database")) {
    req.set_database(args.Get("database"));
    RETURN_IF_ERROR(CheckName("database name", req.database()));
  }
  RETURN_IF_ERROR(ApplyPageFlags(args, &req));
  ASSIGN_OR_RETURN(v1::ListSchedulesResponse resp, context.client().ListSchedules(req));
  if (context.json()) return context.PrintJson(resp);
  TablePrinter table({"NAME", "DATABASE", "CRON", "ZONE", "ENABLED", "NEXT RUN", "LAST OUTCOME"});
  for (const v1::Schedule& s : resp.schedules()) {
    table.AddRow({s.name(), s.database(), s.cron(), s.time_zone(), s.enabled() ? "yes" : "no",
                  s.next_run_at().empty() ? "-" : s.next_run_at(), s.last_outcome()});
  }
  table.Print(context.out());
  PrintNextPage(context, "schedules", resp.next_page_token());
  return absl::OkStatus();
}

absl::Status ScheduleShow(CommandContext& context, const ParsedArgs& args) {
  v1::GetScheduleRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("schedule name", req.name()));
  ASSIGN_OR_RETURN(uint32_t n, args.GetUint32("next", 5, 1, 100));
  req.set_next_runs(n);
  ASSIGN_OR_RETURN(v1::GetScheduleResponse resp, context.client().GetSchedule(req));
  if (context.json()) return context.PrintJson(resp);
  PrintSchedule(context.out(), resp.schedule());
  return absl::OkStatus();
}

absl::Status ScheduleNext(CommandContext& context, const ParsedArgs& args) {
  v1::PreviewScheduleRequest req;
  req.set_cron(args.positionals()[0]);
  req.set_time_zone(args.Get("tz"));
  ASSIGN_OR_RETURN(uint32_t n, args.GetUint32("count", 5, 1, 100));
  req.set_count(n);
  ASSIGN_OR_RETURN(v1::PreviewScheduleResponse resp, context.client().PreviewSchedule(req));
  if (context.json()) return context.PrintJson(resp);
  for (int i = 0; i < resp.next_runs_size(); ++i) {
    context.out() << resp.next_runs_local(i) << "  " << resp.next_runs(i) << "\n";
  }
  return absl::OkStatus();
}

absl::Status SetEnabled(CommandContext& context, const ParsedArgs& args, bool enabled) {
  v1::SetScheduleEnabledRequest req;
  req.set_name(args.positionals()[0]);
  req.set_enabled(enabled);
  RETURN_IF_ERROR(CheckName("schedule name", req.name()));
  ASSIGN_OR_RETURN(v1::SetScheduleEnabledResponse resp,
                   context.client().SetScheduleEnabled(req));
  if (context.json()) return context.PrintJson(resp);
  context.out() << "schedule " << req.name() << (enabled ? " enabled" : " disabled");
  if (enabled && !resp.schedule().next_run_at().empty()) {
    context.out() << ", next run "
                  << InZone(resp.schedule().next_run_at(), resp.schedule().time_zone());
  }
  context.out() << "\n";
  return absl::OkStatus();
}

absl::Status ScheduleEnable(CommandContext& context, const ParsedArgs& args) {
  return SetEnabled(context, args, true);
}

absl::Status ScheduleDisable(CommandContext& context, const ParsedArgs& args) {
  return SetEnabled(context, args, false);
}

absl::Status ScheduleRun(CommandContext& context, const ParsedArgs& args) {
  v1::RunScheduleNowRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("schedule name", req.name()));
  ASSIGN_OR_RETURN(v1::RunScheduleNowResponse resp, context.client().RunScheduleNow(req));
  if (args.Has("wait")) return FollowJobToEnd(context, resp.job().id(), "");
  if (context.json()) return context.PrintJson(resp);
  context.out() << "job " << resp.job().id() << " queued: backup of " << resp.job().database()
                << "\n";
  return absl::OkStatus();
}

absl::Status ScheduleRemove(CommandContext& context, const ParsedArgs& args) {
  v1::DeleteScheduleRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("schedule name", req.name()));
  ASSIGN_OR_RETURN(v1::DeleteScheduleResponse resp, context.client().DeleteSchedule(req));
  if (context.json()) return context.PrintJson(resp);
  context.out() << "schedule " << req.name() << " removed\n";
  return absl::OkStatus();
}

// A verb of schedule that names one schedule and takes no flags.
VerbSpec OnSchedule(std::string verb, VerbHandler run) {
  VerbSpec spec;
  spec.noun = "schedule";
  spec.verb = std::move(verb);
  spec.positionals = {"NAME"};
  spec.run = run;
  return spec;
}

}  // namespace

std::vector<VerbSpec> ScheduleVerbs() {
  VerbSpec add = OnSchedule("add", ScheduleAdd);
  add.flags = {ValueFlag("database", "DB", /*required=*/true),
               ValueFlag("cron", "EXPR", /*required=*/true),
               ValueFlag("tz", "ZONE", /*required=*/true),
               ValueFlag("compression", "zstd|gzip|none"),
               ValueFlag("level", "N"),
               ValueFlag("max-attempts", "N"),
               ValueFlag("retry-backoff", "DURATION"),
               ValueFlag("timeout", "DURATION"),
               ValueFlag("verify-cron", "EXPR"),
               SwitchFlag("disabled")};
  const FlagGroup retention = RetentionFlags();
  add.flags.insert(add.flags.end(), retention.flags.begin(), retention.flags.end());
  add.forms = {
      "{database} {cron} {tz} {compression}\n"
      "{level} {max-attempts} {retry-backoff} {timeout}\n"
      "{verify-cron} {disabled} [retention flags]"};
  add.synopsis = "{database} {cron} {tz} [...]";

  VerbSpec update = OnSchedule("update", ScheduleUpdate);
  update.flags = {ValueFlag("database", "DB"),
                  ValueFlag("cron", "EXPR"),
                  ValueFlag("tz", "ZONE"),
                  ValueFlag("compression", "zstd|gzip|none"),
                  ValueFlag("level", "N"),
                  ValueFlag("max-attempts", "N"),
                  ValueFlag("retry-backoff", "DURATION"),
                  ValueFlag("timeout", "DURATION"),
                  ValueFlag("verify-cron", "EXPR"),
                  SwitchFlag("no-verify")};
  update.flags.insert(update.flags.end(), retention.flags.begin(), retention.flags.end());
  update.forms = {
      "{database} {cron} {tz} {compression}\n"
      "{level} {max-attempts} {retry-backoff} {timeout}\n"
      "{verify-cron} {no-verify} [retention flags]"};

  VerbSpec list;
  list.noun = "schedule";
  list.verb = "list";
  list.flags = {ValueFlag("database", "NAME"), ValueFlag("limit", "N"),
                ValueFlag("page-token", "T")};
  list.run = ScheduleList;

  VerbSpec show = OnSchedule("show", ScheduleShow);
  show.flags = {ValueFlag("next", "N")};

  VerbSpec next;
  next.noun = "schedule";
  next.verb = "next";
  next.positionals = {"EXPR"};
  next.flags = {ValueFlag("tz", "ZONE", /*required=*/true), ValueFlag("count", "N")};
  next.run = ScheduleNext;

  VerbSpec run = OnSchedule("run", ScheduleRun);
  run.flags = {SwitchFlag("wait")};

  return {add,
          list,
          show,
          update,
          next,
          OnSchedule("enable", ScheduleEnable),
          OnSchedule("disable", ScheduleDisable),
          run,
          OnSchedule("remove", ScheduleRemove)};
}

}  // namespace dbdump
