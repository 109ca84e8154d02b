// XmlDocument: reading the XML answers of S3 and STS (with pugixml).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

// pugixml stays out of this header: it is included by every S3 caller.
namespace pugi {
class xml_document;
struct xml_node_struct;
}  // namespace pugi

namespace dbdump {

// A parsed S3 or STS answer, or one element of one (see Elements). Lookups
// find elements by name at any depth, in document order, so callers need
// not spell out each answer's envelope (<Error> in S3, <ErrorResponse>
// <Error> in STS). A body that is not XML (empty, or an HTML page from a
// proxy) reads as a document without elements, and a body cut short as far
// as it was parsed: lookups then find nothing, and callers fall back on the
// HTTP status or report the missing value. Copies share the parsed tree.
// Immutable once built: safe to read from several threads.
class XmlDocument {
 public:
  explicit XmlDocument(absl::string_view xml);
  ~XmlDocument();
  XmlDocument(const XmlDocument&);
  XmlDocument& operator=(const XmlDocument&);

  // Text of the first element named `tag` with entities and character
  // references decoded; "" when there is none.
  std::string Value(absl::string_view tag) const;
  // Every element named `tag` in document order (not those inside another
  // one of that name), for records such as <Contents> or <Upload>.
  std::vector<XmlDocument> Elements(absl::string_view tag) const;
  // True when some element is named `tag`.
  bool Has(absl::string_view tag) const;

 private:
  XmlDocument(std::shared_ptr<const pugi::xml_document> doc, pugi::xml_node_struct* node);

  std::shared_ptr<const pugi::xml_document> doc_;
  // The element searched (the document node itself at the top).
  pugi::xml_node_struct* node_;
};

// Escapes text for an element of an XML request body. The one body we
// write (CompleteMultipartUpload) is three fixed tags; building a pugixml
// document for it would also change the bytes sent (pugixml leaves quotes
// in ETags unescaped), so it is spliced with this.
std::string XmlEscape(absl::string_view text);

}  // namespace dbdump
