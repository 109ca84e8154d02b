// Page tokens of the List calls: opaque to clients, they carry where the
// previous page ended and a fingerprint of the filters it was asked with,
// so a token cannot be replayed against another listing.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace dbdump {

// `position`: the last item of the page (e.g. its id); `filters`: the
// request's filters, as one string.
std::string EncodePageToken(const std::string& position, const std::string& filters);

// The position; InvalidArgument when the token is not one of ours or was
// made for other filters.
absl::StatusOr<std::string> DecodePageToken(const std::string& token, const std::string& filters);

// The page size a request asks for: 100 when 0; InvalidArgument above 1000.
absl::StatusOr<int> PageSizeOf(uint32_t page_size);

// What a List request asks of its page.
struct PageRequest {
  uint32_t page_size = 0;
  std::string page_token;
  // The request's filters, as one string (see EncodePageToken).
  std::string filters;
};

template <typename T>
struct Page {
  std::vector<T> items;
  // Empty on the last page.
  std::string next_page_token;
};

// One page of `items`, which come sorted by `key(item)` ascending with no
// key twice: those after the token's position, at most the page size. For
// the lists the store returns whole (agents, databases, storages,
// schedules, tokens): they hold tens to hundreds of rows, so the page is
// cut here rather than by a query of its own per table.
template <typename T, typename Key>
absl::StatusOr<Page<T>> TakePage(std::vector<T> items, Key key, const PageRequest& req) {
  absl::StatusOr<int> size = PageSizeOf(req.page_size);
  if (!size.ok()) return size.status();
  std::string after;
  if (!req.page_token.empty()) {
    absl::StatusOr<std::string> position = DecodePageToken(req.page_token, req.filters);
    if (!position.ok()) return position.status();
    after = *std::move(position);
  }
  Page<T> page;
  for (T& item : items) {
    if (!req.page_token.empty() && !(key(item) > after)) continue;
    if (static_cast<int>(page.items.size()) == *size) {
      page.next_page_token = EncodePageToken(key(page.items.back()), req.filters);
      break;
    }
    page.items.push_back(std::move(item));
  }
  return page;
}

}  // namespace dbdump
