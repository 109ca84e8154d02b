// RETURN_IF_ERROR / ASSIGN_OR_RETURN for absl::Status, which our abseil
// (20220623) does not provide.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#define DBDUMP_CONCAT_INNER(a, b) a##b
#define DBDUMP_CONCAT(a, b) DBDUMP_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                         \
  do {                                                \
    ::absl::Status _dbdump_status = (expr);           \
    if (!_dbdump_status.ok()) return _dbdump_status;  \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(DBDUMP_CONCAT(_dbdump_statusor_, __LINE__), lhs, expr)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

// The same, with context put in front of the error's message:
//   RETURN_IF_ERROR_PREPEND(WriteManifest(...), "writing the manifest: ");
// keeps the code and reads "writing the manifest: <original message>".
#define RETURN_IF_ERROR_PREPEND(expr, prefix)                          \
  do {                                                                 \
    ::absl::Status _dbdump_status = (expr);                            \
    if (!_dbdump_status.ok())                                          \
      return ::absl::Status(_dbdump_status.code(),                     \
                            ::absl::StrCat((prefix),                   \
                                           _dbdump_status.message())); \
  } while (0)

#define ASSIGN_OR_RETURN_PREPEND(lhs, expr, prefix)                                   \
  ASSIGN_OR_RETURN_PREPEND_IMPL(DBDUMP_CONCAT(_dbdump_statusor_, __LINE__), lhs, expr, \
                                prefix)

#define ASSIGN_OR_RETURN_PREPEND_IMPL(tmp, lhs, expr, prefix)                     \
  auto tmp = (expr);                                                              \
  if (!tmp.ok())                                                                  \
    return ::absl::Status(tmp.status().code(),                                    \
                          ::absl::StrCat((prefix), tmp.status().message()));      \
  lhs = std::move(tmp).value()
