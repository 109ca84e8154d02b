// Percent-decoding of URL parts (RFC 3986), for path segments and query
// strings, done by the gateway itself because it must see a path's
// segments before decoding them (an id holding an encoded '/').
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace dbdump {

// False when a '%' is not followed by two hex digits. `plus_is_space`: the
// query string's form encoding, where '+' is a space.
bool PercentDecode(absl::string_view in, bool plus_is_space, std::string* out);

}  // namespace dbdump
