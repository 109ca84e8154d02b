#include "common/s3/xml_reader.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace dbdump {
namespace {

void AppendUtf8(std::string* out, unsigned long cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string Unescape(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == absl::string_view::npos) {
      out.push_back('&');
      continue;
    }
    absl::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp") out.push_back('&');
    else if (ent == "lt") out.push_back('<');
    else if (ent == "gt") out.push_back('>');
    else if (ent == "quot") out.push_back('"');
    else if (ent == "apos") out.push_back('\'');
    else if (!ent.empty() && ent[0] == '#') {
      std::string num(ent.substr(1));
      unsigned long cp = (num[0] == 'x' || num[0] == 'X') ? strtoul(num.c_str() + 1, nullptr, 16)
                                                           : strtoul(num.c_str(), nullptr, 10);
      AppendUtf8(&out, cp);
    } else {
      out.append(s.data() + i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

}  // namespace

std::vector<std::string> XmlElements(absl::string_view xml, absl::string_view tag) {
  std::vector<std::string> out;
  std::string open = absl::StrCat("<", tag, ">");
  std::string open_attr = absl::StrCat("<", tag, " ");
  std::string close = absl::StrCat("</", tag, ">");
  size_t pos = 0;
  while (true) {
    size_t a = xml.find(open, pos);
    size_t b = xml.find(open_attr, pos);
    size_t start = std::min(a, b);
    if (start == absl::string_view::npos) break;
    size_t gt = xml.find('>', start);
    if (gt == absl::string_view::npos) break;
    if (xml[gt - 1] == '/') {  // <Tag/>: empty
      out.emplace_back();
      pos = gt + 1;
      continue;
    }
    size_t end = xml.find(close, gt + 1);
    if (end == absl::string_view::npos) break;
    out.emplace_back(xml.substr(gt + 1, end - gt - 1));
    pos = end + close.size();
  }
  return out;
}

std::vector<std::string> XmlValues(absl::string_view xml, absl::string_view tag) {
  std::vector<std::string> out;
  for (const std::string& e : XmlElements(xml, tag)) out.push_back(Unescape(e));
  return out;
}

std::string XmlValue(absl::string_view xml, absl::string_view tag) {
  auto v = XmlValues(xml, tag);
  return v.empty() ? "" : v.front();
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
