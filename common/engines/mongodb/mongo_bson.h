// Just enough BSON to read what mongodump writes around the documents of an
// archive (its prelude and namespace headers) as the stream passes. Written
// here rather than taken from libbson: the archive readers only pick a few
// string fields out of small documents, and stay free of the driver.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"

namespace dbdump {
namespace mongo {

// The little-endian 32-bit word at `p` (BSON lengths, archive markers).
uint32_t LittleEndian32(const char* p);

// Calls `fn(type, name, value)` for each top-level element of the BSON
// document `doc` (the whole document, length prefix included); `value` is
// the element's encoded value. False when the document is malformed or `fn`
// returned false.
bool ForEachBsonElement(
    absl::string_view doc,
    const std::function<bool(unsigned char, absl::string_view, absl::string_view)>& fn);

// A BSON string value as text; false when it is not a well-formed string.
bool BsonString(unsigned char type, absl::string_view value, std::string* out);

}  // namespace mongo
}  // namespace dbdump
