#include "controller/schedule/cron_expression.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {

struct FieldSpec {
  const char* name;
  int min;
  int max;
  // Names for values min, min+1, ... (empty: none).
  std::vector<const char*> names;
};

const FieldSpec kFields[5] = {
    {"minute", 0, 59, {}},
    {"hour", 0, 23, {}},
    {"day of month", 1, 31, {}},
    {"month", 1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
    // 7 is accepted as Sunday and folded onto 0.
    {"day of week", 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
};

// Bits of one parsed field, indexed by value (0..63).
using FieldBits = std::bitset<64>;

absl::Status FieldError(const std::string& expr, int index, const std::string& field,
                        const std::string& why) {
  const FieldSpec& f = kFields[index];
  return absl::InvalidArgumentError(absl::StrCat(
      "cron expression \"", expr, "\": field ", index + 1, " (", f.name, ") \"", field,
      "\" ", why, "; expected ", f.min, "-", f.max,
      f.names.empty() ? "" : " or a name", ", '*', lists a,b, ranges a-b and steps /n"));
}

absl::StatusOr<int> ParseValue(const std::string& expr, int index, const std::string& field,
                               const std::string& token) {
  const FieldSpec& f = kFields[index];
  std::string lower = absl::AsciiStrToLower(token);
  for (size_t i = 0; i < f.names.size(); ++i) {
    if (lower == f.names[i]) return f.min + static_cast<int>(i);
  }
  int v = 0;
  if (token.empty() || token.find_first_not_of("0123456789") != std::string::npos ||
      token.size() > 3 || !absl::SimpleAtoi(token, &v)) {
    return FieldError(expr, index, field, absl::StrCat("has \"", token, "\", which is not a value"));
  }
  if (v < f.min || v > f.max) {
    return FieldError(expr, index, field, absl::StrCat("has ", v, ", out of range"));
  }
  return v;
}

absl::StatusOr<FieldBits> ParseField(const std::string& expr, int index, const std::string& field) {
  const FieldSpec& f = kFields[index];
  FieldBits bits;
  if (field.empty()) return FieldError(expr, index, field, "is empty");
  for (absl::string_view piece : absl::StrSplit(field, ',')) {
    std::string part(piece);
    if (part.empty()) return FieldError(expr, index, field, "has an empty list item");
    std::string range = part;
    int step = 1;
    size_t slash = part.find('/');
    if (slash != std::string::npos) {
      range = part.substr(0, slash);
      std::string s = part.substr(slash + 1);
      if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 3 ||
          !absl::SimpleAtoi(s, &step) || step < 1 || step > f.max) {
        return FieldError(expr, index, field, absl::StrCat("has step \"", s, "\", not 1-", f.max));
      }
    }
    int lo = f.min;
    int hi = f.max;
    if (range == "*") {
      // whole range
    } else if (size_t dash = range.find('-'); dash != std::string::npos) {
      ASSIGN_OR_RETURN(lo, ParseValue(expr, index, field, range.substr(0, dash)));
      ASSIGN_OR_RETURN(hi, ParseValue(expr, index, field, range.substr(dash + 1)));
      if (lo > hi) {
        return FieldError(expr, index, field,
                          absl::StrCat("has range ", range, " whose start is after its end"));
      }
    } else {
      ASSIGN_OR_RETURN(lo, ParseValue(expr, index, field, range));
      // "5/10" means 5-max/10, as in Vixie cron; a bare value is just itself.
      hi = slash != std::string::npos ? f.max : lo;
    }
    for (int v = lo; v <= hi; v += step) bits.set(v);
  }
  return bits;
}

template <size_t N>
std::bitset<N> Narrow(const FieldBits& bits) {
  std::bitset<N> out;
  for (size_t i = 0; i < N; ++i) out[i] = bits[i];
  return out;
}

}  // namespace

absl::StatusOr<CronExpression> CronExpression::Parse(const std::string& text) {
  std::string expr(absl::StripAsciiWhitespace(text));
  std::string expanded = expr;
  if (!expr.empty() && expr[0] == '@') {
    std::string m = absl::AsciiStrToLower(expr);
    if (m == "@hourly") {
      expanded = "0 * * * *";
    } else if (m == "@daily" || m == "@midnight") {
      expanded = "0 0 * * *";
    } else if (m == "@weekly") {
      expanded = "0 0 * * 0";
    } else if (m == "@monthly") {
      expanded = "0 0 1 * *";
    } else if (m == "@yearly" || m == "@annually") {
      expanded = "0 0 1 1 *";
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "cron expression \"", expr, "\": unknown macro; use @hourly, @daily, @weekly, "
          "@monthly, @yearly or five fields \"minute hour day-of-month month day-of-week\""));
    }
  }
  std::vector<std::string> fields = absl::StrSplit(expanded, ' ', absl::SkipWhitespace());
  if (fields.size() != 5) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cron expression \"", expr, "\" has ", fields.size(),
        " fields; it needs five: minute hour day-of-month month day-of-week (e.g. \"30 2 * * *\")"));
  }
  std::vector<FieldBits> bits;
  for (int i = 0; i < 5; ++i) {
    ASSIGN_OR_RETURN(FieldBits b, ParseField(expr, i, fields[i]));
    bits.push_back(b);
  }
  CronExpression c;
  c.text_ = expr;
  c.minutes_ = Narrow<60>(bits[0]);
  c.hours_ = Narrow<24>(bits[1]);
  c.days_of_month_ = Narrow<32>(bits[2]);
  c.months_ = Narrow<13>(bits[3]);
  FieldBits dow = bits[4];
  if (dow[7]) dow.set(0);
  c.days_of_week_ = Narrow<7>(dow);
  c.dom_star_ = fields[2][0] == '*';
  c.dow_star_ = fields[4][0] == '*';
  return c;
}

bool CronExpression::DayMatches(const absl::CivilDay& day) const {
  if (!months_[day.month()]) return false;
  bool dom = days_of_month_[day.day()];
  bool dow = days_of_week_[static_cast<int>(absl::GetWeekday(day)) == 6
                               ? 0
                               : static_cast<int>(absl::GetWeekday(day)) + 1];
  if (dom_star_ || dow_star_) return dom && dow;
  return dom || dow;
}

absl::StatusOr<absl::Time> CronExpression::Next(absl::Time after,
                                                const absl::TimeZone& zone) const {
  absl::CivilDay day = absl::CivilDay(absl::ToCivilSecond(after, zone));
  // Weekday and leap-year patterns repeat every 400 years; a match that
  // exists shows up well within 28 years (dates like Feb 29 on a Monday).
  const absl::CivilDay last = day + 366 * 29;
  for (; day <= last; ++day) {
    if (!DayMatches(day)) continue;
    for (int h = 0; h < 24; ++h) {
      if (!hours_[h]) continue;
      for (int m = 0; m < 60; ++m) {
        if (!minutes_[m]) continue;
        absl::CivilSecond slot(day.year(), day.month(), day.day(), h, m, 0);
        absl::TimeZone::TimeInfo info = zone.At(slot);
        absl::Time t = info.pre;
        if (info.kind == absl::TimeZone::TimeInfo::SKIPPED) t = info.trans;
        if (t > after) return t;
      }
    }
  }
  return absl::NotFoundError(absl::StrCat("cron expression \"", text_,
                                          "\" never matches a real date: check the day and month"));
}

absl::StatusOr<std::vector<absl::Time>> CronExpression::NextN(absl::Time after,
                                                              const absl::TimeZone& zone,
                                                              int n) const {
  std::vector<absl::Time> out;
  for (int i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(after, Next(after, zone));
    out.push_back(after);
  }
  return out;
}

}  // namespace dbdump
