// One run of the backup chain over generated data, for age_chain_1gb.sh:
// Pump -> sha256(raw) -> zstd -> [age encrypt] -> sha256(stored) -> discard.
// Prints "mode seconds raw_bytes stored_bytes vmhwm_kib cpu_seconds" on one
// line (cpu: user + system of all threads, steadier than wall time on a
// shared machine).
//
//   age_chain plain|age BYTES
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "common/crypto/age_keys.h"
#include "common/io/filter_chain.h"
#include "common/io/pump.h"
#include "common/io/sha256_filter.h"

namespace {

// Moderately compressible text (log-like lines with numbers and hex), from
// a buffer larger than zstd's window so repeats do not compress away.
class GeneratedSource : public dbdump::Source {
 public:
  explicit GeneratedSource(uint64_t total) : total_(total) {
    uint64_t x = 88172645463325252ull;
    auto next = [&] {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      return x;
    };
    static const char* kWords[] = {"order", "refund", "login", "payment", "shipment",
                                   "customer", "account", "session", "agent", "note"};
    while (pool_.size() < (32u << 20)) {
      uint64_t r = next();
      char line[160];
      int n = std::snprintf(line, sizeof line, "%llu,%s,%s,%llu.%02llu,%016llx,%s\n",
                            static_cast<unsigned long long>(r % 100000000),
                            kWords[r % 10], kWords[(r >> 8) % 10],
                            static_cast<unsigned long long>((r >> 16) % 10000),
                            static_cast<unsigned long long>((r >> 32) % 100),
                            static_cast<unsigned long long>(next()), kWords[(r >> 40) % 10]);
      pool_.append(line, n);
    }
  }
  absl::StatusOr<size_t> Read(char* d, size_t n) override {
    size_t k = static_cast<size_t>(std::min<uint64_t>(n, total_ - done_));
    size_t copied = 0;
    while (copied < k) {
      size_t from = (done_ + copied) % pool_.size();
      size_t m = std::min(k - copied, pool_.size() - from);
      std::memcpy(d + copied, pool_.data() + from, m);
      copied += m;
    }
    done_ += k;
    return k;
  }

 private:
  uint64_t total_;
  uint64_t done_ = 0;
  std::string pool_;
};

long VmHwmKib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[1], "plain") != 0 && std::strcmp(argv[1], "age") != 0)) {
    std::fprintf(stderr, "usage: age_chain plain|age BYTES\n");
    return 2;
  }
  bool encrypt = std::strcmp(argv[1], "age") == 0;
  uint64_t bytes = std::stoull(argv[2]);
  GeneratedSource source(bytes);
  dbdump::NullSink end;
  dbdump::FilterChain chain;
  chain.AddSha256("raw");
  chain.AddCompressor(dbdump::v1::COMPRESSION_ZSTD, 0, 2);  // the agent's defaults
  if (encrypt) {
    auto keys = std::make_shared<dbdump::AgeEncryptKeys>();
    keys->recipients.push_back(*dbdump::AgeRecipientOf(*dbdump::GenerateAgeIdentity()));
    keys->recipients.push_back(*dbdump::AgeRecipientOf(*dbdump::GenerateAgeIdentity()));
    chain.AddEncryptor(keys);
  }
  chain.AddSha256("stored");
  if (absl::Status st = chain.EndAt(&end); !st.ok()) {
    std::fprintf(stderr, "%s\n", std::string(st.message()).c_str());
    return 1;
  }
  auto t0 = std::chrono::steady_clock::now();
  absl::Status pumped = dbdump::Pump(&source, chain.head(), dbdump::PumpOptions{});
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!pumped.ok()) {
    std::fprintf(stderr, "%s\n", std::string(pumped.message()).c_str());
    return 1;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
               ru.ru_stime.tv_usec / 1e6;
  std::printf("%s %.3f %llu %llu %ld %.3f\n", argv[1], s,
              static_cast<unsigned long long>(chain.bytes("raw")),
              static_cast<unsigned long long>(chain.bytes("stored")), VmHwmKib(), cpu);
  return 0;
}
