// Minimal reading of the small, flat XML documents S3 and STS answer with.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace dbdump {

// Text of every <tag>...</tag> element in `xml`, in document order, with the
// five predefined entities and numeric character references decoded. Enough
// for S3/STS responses, which have no attributes on the elements we read
// and no CDATA; not a general XML parser.
std::vector<std::string> XmlValues(absl::string_view xml, absl::string_view tag);
// The first such value, or "".
std::string XmlValue(absl::string_view xml, absl::string_view tag);
// Inner XML of every <tag>...</tag> element (entities not decoded), for
// iterating over repeated records such as <Contents>.
std::vector<std::string> XmlElements(absl::string_view xml, absl::string_view tag);
// Escapes text for inclusion in an XML element.
std::string XmlEscape(absl::string_view text);

}  // namespace dbdump
