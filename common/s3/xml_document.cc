#include "common/s3/xml_document.h"

#include <pugixml.hpp>

namespace dbdump {
namespace {

bool Named(const pugi::xml_node& n, absl::string_view tag) {
  return n.type() == pugi::node_element && absl::string_view(n.name()) == tag;
}

// Depth first, in document order; does not descend into a match.
void Collect(const pugi::xml_node& parent, absl::string_view tag, bool first_only,
             std::vector<pugi::xml_node>* out) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (first_only && !out->empty()) return;
    if (Named(c, tag)) {
      out->push_back(c);
    } else {
      Collect(c, tag, first_only, out);
    }
  }
}

}  // namespace

XmlDocument::XmlDocument(absl::string_view xml) {
  auto doc = std::make_shared<pugi::xml_document>();
  // The result is not checked on purpose: on a parse error pugixml keeps
  // what it read before the error, and an answer that is not XML at all
  // leaves an empty document. Either way the lookups report what is there
  // and the callers judge a missing value (see the class comment).
  doc->load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  node_ = doc->internal_object();
  doc_ = std::move(doc);
}

XmlDocument::XmlDocument(std::shared_ptr<const pugi::xml_document> doc,
                         pugi::xml_node_struct* node)
    : doc_(std::move(doc)), node_(node) {}

XmlDocument::~XmlDocument() = default;
XmlDocument::XmlDocument(const XmlDocument&) = default;
XmlDocument& XmlDocument::operator=(const XmlDocument&) = default;

std::string XmlDocument::Value(absl::string_view tag) const {
  std::vector<pugi::xml_node> found;
  Collect(pugi::xml_node(node_), tag, /*first_only=*/true, &found);
  return found.empty() ? "" : found.front().text().get();
}

std::vector<XmlDocument> XmlDocument::Elements(absl::string_view tag) const {
  std::vector<pugi::xml_node> found;
  Collect(pugi::xml_node(node_), tag, /*first_only=*/false, &found);
  std::vector<XmlDocument> out;
  out.reserve(found.size());
  for (const pugi::xml_node& n : found) out.push_back(XmlDocument(doc_, n.internal_object()));
  return out;
}

bool XmlDocument::Has(absl::string_view tag) const {
  std::vector<pugi::xml_node> found;
  Collect(pugi::xml_node(node_), tag, /*first_only=*/true, &found);
  return !found.empty();
}

std::string XmlEscape(absl::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace dbdump
