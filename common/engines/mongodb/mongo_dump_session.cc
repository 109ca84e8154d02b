#include "common/engines/mongodb/mongo_dump_session.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/engines/mongodb/mongo_connection.h"

namespace dbdump {
namespace mongo {

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
  return absl::OkStatus();
}

std::vector<v1::TableInfo> MongoDumpSession::tables() const {
  std::vector<v1::TableInfo> out;
  for (const MongoArchivePrelude::Namespace& ns : prelude_.namespaces()) {
    v1::TableInfo t;
    t.set_name(absl::StrCat(ns.db, ".", ns.collection));
    t.set_rows(-1);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace mongo
}  // namespace dbdump
