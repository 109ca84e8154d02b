#include "controller/notify/notification_channel.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"

namespace dbdump {

std::string NotificationJson(const Notification& n) {
  // ordered_json keeps the keys in the order written here, which receivers
  // have seen since the first release; `fields` follow the map's order.
  nlohmann::ordered_json fields = nlohmann::ordered_json::object();
  for (const auto& [k, v] : n.fields) fields[k] = v;
  nlohmann::ordered_json body = {
      {"event", NotificationEventName(n.event)},
      {"database", n.database},
      {"summary", n.summary},
      {"time", TimeToString(n.time)},
      {"fields", std::move(fields)},
  };
  // An error text from a tool may hold bytes that are not UTF-8: replaced
  // (U+FFFD) rather than thrown on.
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string NotificationText(const Notification& n) {
  std::string out = n.summary;
  for (const auto& [k, v] : n.fields) absl::StrAppend(&out, "\n", k, ": ", v);
  return out;
}

}  // namespace dbdump
