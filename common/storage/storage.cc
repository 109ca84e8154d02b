#include "common/storage/storage.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/status_macros.h"

namespace dbdump {

absl::Status ValidateObjectKey(const std::string& key) {
  if (key.empty()) return absl::InvalidArgumentError("object key is empty");
  if (key.front() == '/') {
    return absl::InvalidArgumentError(absl::StrCat("object key \"", key, "\" must be relative"));
  }
  for (char c : key) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError("object key contains a control character");
    }
  }
  for (absl::string_view seg : absl::StrSplit(key, '/')) {
    if (seg.empty() || seg == "." || seg == "..") {
      return absl::InvalidArgumentError(absl::StrCat(
          "object key \"", key, "\" has an empty, \".\" or \"..\" segment"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSmallObject(Storage* storage, const std::string& key,
                                            size_t max_bytes) {
  ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> r, storage->NewReader(key));
  std::string out;
  char buf[16 << 10];
  while (true) {
    ASSIGN_OR_RETURN(size_t n, r->Read(buf, sizeof buf));
    if (n == 0) break;
    out.append(buf, n);
    if (out.size() > max_bytes) {
      return absl::FailedPreconditionError(
          absl::StrCat("object ", key, " is larger than ", max_bytes, " bytes"));
    }
  }
  return out;
}

absl::Status WriteSmallObject(Storage* storage, const std::string& key,
                              const std::string& data) {
  ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> w, storage->NewWriter(key));
  RETURN_IF_ERROR(w->Write(data.data(), data.size()));
  return w->Finish();
}

}  // namespace dbdump

namespace dbdump {

absl::StatusOr<int> AbortIncompleteWritesOf(Storage* storage, const std::string& key) {
  RETURN_IF_ERROR(ValidateObjectKey(key));
  ASSIGN_OR_RETURN(std::vector<IncompleteWrite> writes, storage->ListIncomplete(key));
  int n = 0;
  for (const IncompleteWrite& w : writes) {
    if (w.key != key) continue;
    RETURN_IF_ERROR(storage->AbortIncomplete(w));
    ++n;
  }
  return n;
}

}  // namespace dbdump
