#include "controller/notify/notification_channel.h"

#include "common/base/names.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {

TEST(NotificationJsonTest, KeysInTheirOrderFieldsByNameAndEscapes) {
  Notification n;
  n.event = NotificationEvent::kBackupFailed;
  n.database = "orders";
  n.summary = "backup of orders failed";
  n.fields = {{"job", "j-1"}, {"error", "pg_dump: \"quoted\"\nsecond\tline \\ \x01"}};
  n.time = TimeFromString("2026-03-01T01:00:05Z");
  EXPECT_EQ(NotificationJson(n),
            "{\"event\":\"failure\",\"database\":\"orders\",\"summary\":\"backup of orders "
            "failed\",\"time\":\"2026-03-01T01:00:05Z\",\"fields\":{\"error\":\"pg_dump: "
            "\\\"quoted\\\"\\nsecond\\tline \\\\ \\u0001\",\"job\":\"j-1\"}}");
}

TEST(NotificationJsonTest, NoFieldsIsAnEmptyObjectAndBadUtf8IsReplaced) {
  Notification n;
  n.event = NotificationEvent::kBackupStale;
  n.database = "caf\xC3\xA9";
  n.summary = "bad \xFF byte";
  n.time = TimeFromString("2026-03-01T01:00:00Z");
  EXPECT_EQ(NotificationJson(n),
            "{\"event\":\"stale\",\"database\":\"caf\xC3\xA9\",\"summary\":\"bad \xEF\xBF\xBD "
            "byte\",\"time\":\"2026-03-01T01:00:00Z\",\"fields\":{}}");
}

}  // namespace
}  // namespace dbdump
