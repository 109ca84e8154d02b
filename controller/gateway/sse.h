// Server-Sent Events framing for the gateway's server-streaming routes
// (https://html.spec.whatwg.org/multipage/server-sent-events.html).
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace dbdump {

struct HttpRoute;

// The event name of a streaming route's messages: the RPC's name without a
// leading "Follow" or "Watch", lowercased ("FollowJob" → "job").
std::string SseEventName(const HttpRoute& route);

// "event: NAME\ndata: LINE\n...\n\n" (`data` may hold newlines).
std::string SseEvent(absl::string_view name, absl::string_view data);

// A comment line that keeps proxies from timing out the stream and lets the
// server notice a client that went away.
std::string SseHeartbeat();

}  // namespace dbdump
