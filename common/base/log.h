// Log: one-line structured logging to stderr. Never pass a secret.
#pragma once

#include <string>

#include "absl/strings/str_cat.h"

namespace dbdump {

// Writes "<time> <level> <component>: <message>" to stderr, thread-safe.
void Log(const char* level, const std::string& component, const std::string& message);

template <typename... Args>
void LogInfo(const std::string& component, const Args&... args) {
  Log("INFO", component, absl::StrCat(args...));
}
template <typename... Args>
void LogWarn(const std::string& component, const Args&... args) {
  Log("WARN", component, absl::StrCat(args...));
}

}  // namespace dbdump
