#include "common/io/pump.h"

#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace dbdump {
namespace {

struct Filled {
  char* data;
  size_t size;  // 0 = end of stream
};

// State shared by the reader thread and the consumer.
class Exchange {
 public:
  explicit Exchange(std::vector<char*> free) : free_(free.begin(), free.end()) {}

  // Reader side: waits for a free buffer; nullptr when the consumer stopped.
  char* TakeFree() {
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(
        +[](Exchange* e) { return !e->free_.empty() || e->stopped_; }, this));
    if (stopped_) return nullptr;
    char* b = free_.front();
    free_.pop_front();
    return b;
  }
  void PutFilled(Filled f) {
    absl::MutexLock l(&mu_);
    filled_.push_back(f);
  }
  void ReaderFailed(absl::Status s) {
    absl::MutexLock l(&mu_);
    reader_status_ = std::move(s);
    filled_.push_back({nullptr, 0});
  }
  // Consumer side.
  Filled TakeFilled() {
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(
        +[](Exchange* e) { return !e->filled_.empty(); }, this));
    Filled f = filled_.front();
    filled_.pop_front();
    return f;
  }
  void PutFree(char* b) {
    absl::MutexLock l(&mu_);
    free_.push_back(b);
  }
  void Stop() {
    absl::MutexLock l(&mu_);
    stopped_ = true;
  }
  absl::Status reader_status() {
    absl::MutexLock l(&mu_);
    return reader_status_;
  }

 private:
  absl::Mutex mu_;
  std::deque<char*> free_ ABSL_GUARDED_BY(mu_);
  std::deque<Filled> filled_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status reader_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::Status Pump(Source* source, Sink* sink, const PumpOptions& options) {
  size_t count = options.buffers < 2 ? 2 : options.buffers;
  std::vector<std::unique_ptr<char[]>> pool;
  std::vector<char*> free;
  for (size_t i = 0; i < count; ++i) {
    pool.emplace_back(new char[options.buffer_bytes]);
    free.push_back(pool.back().get());
  }
  Exchange ex(free);

  std::thread reader([&] {
    while (true) {
      char* buf = ex.TakeFree();
      if (buf == nullptr) return;
      auto n = source->Read(buf, options.buffer_bytes);
      if (!n.ok()) {
        ex.ReaderFailed(n.status());
        return;
      }
      ex.PutFilled({buf, *n});
      if (*n == 0) return;
    }
  });

  absl::Status status;
  uint64_t total = 0;
  while (true) {
    if (options.cancel != nullptr && options.cancel->load()) {
      status = absl::CancelledError("job cancelled");
      break;
    }
    Filled f = ex.TakeFilled();
    if (f.size == 0) {
      status = ex.reader_status();
      if (status.ok()) status = sink->Finish();
      break;
    }
    total += f.size;
    status = sink->Write(f.data, f.size);
    ex.PutFree(f.data);
    if (!status.ok()) break;
    if (options.on_progress) options.on_progress(total);
  }
  ex.Stop();
  bool early = !status.ok();
  if (early && options.on_early_stop) options.on_early_stop();
  reader.join();
  return status;
}

}  // namespace dbdump
