// Files that hold secrets (private keys, tokens) and the directories they
// live in: written atomically with a chosen mode, read only when no one but
// the owner can read or change them. Stateless; every function is
// thread-safe (two writers of the same path leave one complete file).
#pragma once

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dbdump {

// Writes `contents` to `path` atomically (temp file in the same dir, fsync,
// rename, fsync dir) with `mode` (e.g. 0600). The mode is set on the temp
// file before any byte is written and regardless of the umask, so the secret
// is never readable by others, not even briefly. Readers see the old file or
// the new one, never part of one.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents,
                                 mode_t mode);

// Reads a regular file that must not be readable or writable by
// group/others (FailedPrecondition naming the path, its mode, and saying
// `chmod 600 PATH`); NotFound when missing. Symbolic links are followed (a
// Kubernetes secret volume is made of them); the mode checked is the file's.
absl::StatusOr<std::string> ReadPrivateFile(const std::string& path);

// Reads a file that needs no secrecy (a certificate); NotFound when missing,
// FailedPrecondition when unreadable.
absl::StatusOr<std::string> ReadPublicFile(const std::string& path);

// Creates dir (and parents) if missing and makes sure it is mode 0700 (chmod
// if we own it; FailedPrecondition saying what to run when we do not).
// Missing parents are created with the default mode (0777 less the umask).
absl::Status EnsurePrivateDirectory(const std::string& path);

}  // namespace dbdump
