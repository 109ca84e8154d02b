// The dbdump release.
#pragma once

namespace dbdump {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace dbdump
