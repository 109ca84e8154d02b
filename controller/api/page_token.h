// Page tokens of the List calls: opaque to clients, they carry where the
// previous page ended and a fingerprint of the filters it was asked with,
// so a token cannot be replayed against another listing.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace dbdump {

// `position`: the last item of the page (e.g. its id); `filters`: the
// request's filters, as one string.
std::string EncodePageToken(const std::string& position, const std::string& filters);

// The position; InvalidArgument when the token is not one of ours or was
// made for other filters.
absl::StatusOr<std::string> DecodePageToken(const std::string& token, const std::string& filters);

}  // namespace dbdump
