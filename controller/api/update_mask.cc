#include "controller/api/update_mask.h"

#include <google/protobuf/util/field_mask_util.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dbdump {

namespace pb = google::protobuf;
using pb::util::FieldMaskUtil;

namespace {

bool Allowed(const std::string& path, const UpdatableFields& fields) {
  if (fields.paths.count(path) > 0) return true;
  for (const std::string& p : fields.paths) {
    if (absl::StartsWith(path, p + ".")) return true;
  }
  return false;
}

}  // namespace

absl::Status CheckUpdateMask(const pb::FieldMask& mask, const UpdatableFields& fields) {
  const std::string resource = fields.resource->name();
  const std::string can_change = absl::StrJoin(fields.paths, ", ");
  if (mask.paths_size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat("update_mask is empty: name the fields of the ",
                                                   resource, " to change (", can_change, ")"));
  }
  for (const std::string& path : mask.paths()) {
    if (!FieldMaskUtil::GetFieldDescriptors(fields.resource, path, nullptr)) {
      return absl::InvalidArgumentError(absl::StrCat("update_mask path \"", path,
                                                     "\" is not a field of ", resource,
                                                     ": fields that can change are ", can_change));
    }
    if (!Allowed(path, fields)) {
      return absl::InvalidArgumentError(absl::StrCat("update_mask path \"", path, "\" of ",
                                                     resource, " cannot be changed: fields that "
                                                     "can are ", can_change));
    }
  }
  return absl::OkStatus();
}

void ApplyUpdateMask(const pb::Message& from, const pb::FieldMask& mask, pb::Message* to) {
  FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  FieldMaskUtil::MergeMessageTo(from, mask, options, to);
}

bool MaskTouches(const pb::FieldMask& mask, const std::string& path) {
  for (const std::string& p : mask.paths()) {
    if (p == path || absl::StartsWith(p, path + ".")) return true;
  }
  return false;
}

}  // namespace dbdump
