#include "common/engines/mongodb/mongo_dump_session.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/engines/mongodb/mongo_connection.h"

namespace dbdump {
namespace mongo {

absl::StatusOr<size_t> MongoDumpSession::PreludeSource::Read(char* data, size_t n) {
  ASSIGN_OR_RETURN(size_t got, from_->Read(data, n));
  uint64_t start = prelude_->bytes_seen();
  prelude_->Feed(data, got);
  if (prelude_->state() == MongoArchivePrelude::State::kComplete) {
    // The part of these bytes after the prelude's end.
    uint64_t body_from = std::max(prelude_->prelude_bytes(), start);
    if (body_from < start + got) body_->Feed(data + (body_from - start), start + got - body_from);
  }
  return got;
}

absl::Status MongoDumpSession::Finish() {
  RETURN_IF_ERROR(tool_->Finish());
  if (prelude_.bytes_seen() == 0) {
    // mongodump succeeds without output when --collection names nothing.
    return absl::NotFoundError(absl::StrCat(
        "mongodump wrote no archive for ", desc_, " (", ToolProblem(process_->StderrTail()),
        "): check the target's database and include namespace"));
  }
  if (prelude_.state() == MongoArchivePrelude::State::kNotAnArchive) {
    return absl::DataLossError(absl::StrCat("the output of mongodump for ", desc_,
                                            " is not a mongodump archive: ",
                                            prelude_.problem()));
  }
  if (prelude_.state() == MongoArchivePrelude::State::kReading) {
    return absl::DataLossError(absl::StrCat("the output of mongodump for ", desc_,
                                            " ends inside the archive prelude"));
  }
  if (!body_.ok()) {
    return absl::DataLossError(absl::StrCat("the output of mongodump for ", desc_,
                                            " is not a well-formed archive: ", body_.problem()));
  }
  if (prelude_.state() == MongoArchivePrelude::State::kComplete && !body_.at_block_boundary()) {
    return absl::DataLossError(absl::StrCat("the output of mongodump for ", desc_,
                                            " ends inside the data of a collection"));
  }
  return absl::OkStatus();
}

std::vector<v1::TableInfo> MongoDumpSession::tables() const {
  std::vector<v1::TableInfo> out;
  // Counts only from a whole, well-formed archive; a collection without a
  // block holds no documents (a view).
  bool counted = body_.at_block_boundary();
  for (const MongoArchivePrelude::Namespace& ns : prelude_.namespaces()) {
    v1::TableInfo t;
    t.set_name(absl::StrCat(ns.db, ".", ns.collection));
    auto it = body_.documents().find(t.name());
    t.set_rows(!counted ? -1 : it == body_.documents().end() ? 0 : it->second);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace mongo
}  // namespace dbdump
