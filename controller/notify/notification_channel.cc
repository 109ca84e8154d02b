#include "controller/notify/notification_channel.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/names.h"

namespace dbdump {
namespace {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace

std::string NotificationJson(const Notification& n) {
  std::string fields;
  for (const auto& [k, v] : n.fields) {
    absl::StrAppend(&fields, fields.empty() ? "" : ",", JsonString(k), ":", JsonString(v));
  }
  return absl::StrCat("{\"event\":", JsonString(NotificationEventName(n.event)),
                      ",\"database\":", JsonString(n.database), ",\"summary\":",
                      JsonString(n.summary), ",\"time\":", JsonString(TimeToString(n.time)),
                      ",\"fields\":{", fields, "}}");
}

std::string NotificationText(const Notification& n) {
  std::string out = n.summary;
  for (const auto& [k, v] : n.fields) absl::StrAppend(&out, "\n", k, ": ", v);
  return out;
}

}  // namespace dbdump
