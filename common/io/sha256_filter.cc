#include "common/io/sha256_filter.h"

#include "absl/strings/escaping.h"
#include "common/base/status_macros.h"

namespace dbdump {

Sha256Filter::Sha256Filter(Sink* next) : next_(next), ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr);
}

Sha256Filter::~Sha256Filter() { EVP_MD_CTX_free(ctx_); }

absl::Status Sha256Filter::Write(const char* data, size_t n) {
  if (EVP_DigestUpdate(ctx_, data, n) != 1) {
    return absl::InternalError("sha256 update failed");
  }
  bytes_ += n;
  return next_->Write(data, n);
}

absl::Status Sha256Filter::Finish() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, digest, &len) != 1) {
    return absl::InternalError("sha256 final failed");
  }
  hex_ = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), len));
  return next_->Finish();
}

}  // namespace dbdump
