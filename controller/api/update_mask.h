// Update masks of the Update calls (google.protobuf.FieldMask, as AIP-134
// has them): which fields a call may change, checked before anything is
// read, and copying the named fields onto the stored resource.
#pragma once

#include <set>
#include <string>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/message.h>

#include "absl/status/status.h"

namespace dbdump {

// What an Update call may change of a resource.
struct UpdatableFields {
  // The message the mask's paths are relative to, e.g. Database.
  const google::protobuf::Descriptor* resource = nullptr;
  // Paths that may change. A message field listed here may also be named
  // by its sub-paths ("retention" allows "retention.keep_last").
  std::set<std::string> paths;
};

// OK when the mask names at least one path and every path is one `fields`
// allows. InvalidArgument naming the first path that is not a field of the
// resource, or is a field that cannot change (names, kinds, engines, what
// the controller sets).
absl::Status CheckUpdateMask(const google::protobuf::FieldMask& mask,
                             const UpdatableFields& fields);

// Copies the fields `mask` names from `from` onto `to` (same type); a
// message or list named whole replaces the old one whole.
void ApplyUpdateMask(const google::protobuf::Message& from, const google::protobuf::FieldMask& mask,
                     google::protobuf::Message* to);

// Whether `mask` names `path` or a field under it.
bool MaskTouches(const google::protobuf::FieldMask& mask, const std::string& path);

}  // namespace dbdump
