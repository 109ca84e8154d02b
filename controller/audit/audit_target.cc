#include "controller/audit/audit_target.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <set>

#include "absl/strings/str_cat.h"

namespace dbdump {
namespace {

namespace pb = google::protobuf;

bool IsIdentifier(const std::string& field) {
  static const auto* names = new std::set<std::string>{
      "name",     "id",          "agent_name", "database", "storage", "backup_id",
      "job_id",   "schedule",    "target",     "via_database", "agent", "role",
      "dry_run",  "test_restore", "clean",     "enabled", "object"};
  return names->count(field) > 0;
}

void Collect(const pb::Message& m, const std::string& prefix, int depth, std::string* out) {
  const pb::Reflection* r = m.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const pb::FieldDescriptor* f : fields) {
    if (f->is_repeated()) continue;
    std::string key = prefix.empty() ? f->name() : absl::StrCat(prefix, ".", f->name());
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_MESSAGE:
        if (depth < 2) Collect(r->GetMessage(m, f), key, depth + 1, out);
        break;
      case pb::FieldDescriptor::CPPTYPE_STRING:
        if (IsIdentifier(f->name())) {
          absl::StrAppend(out, out->empty() ? "" : " ", key, "=", r->GetString(m, f));
        }
        break;
      case pb::FieldDescriptor::CPPTYPE_BOOL:
        if (IsIdentifier(f->name()) && r->GetBool(m, f)) {
          absl::StrAppend(out, out->empty() ? "" : " ", key);
        }
        break;
      case pb::FieldDescriptor::CPPTYPE_ENUM:
        if (IsIdentifier(f->name())) {
          absl::StrAppend(out, out->empty() ? "" : " ", key, "=", r->GetEnum(m, f)->name());
        }
        break;
      default:
        break;
    }
  }
}

}  // namespace

std::string AuditTargetOf(const google::protobuf::Message& request) {
  std::string out;
  Collect(request, "", 0, &out);
  return out;
}

}  // namespace dbdump
