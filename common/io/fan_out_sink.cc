#include "common/io/fan_out_sink.h"

#include <utility>

#include "absl/time/time.h"

#include "absl/strings/str_cat.h"

namespace dbdump {

FanOutSink::FanOutSink(Sink* primary, std::vector<Sink*> copies, FanOutOptions options)
    : options_(options) {
  if (options_.queue_chunks == 0) options_.queue_chunks = 1;
  auto add = [this](Sink* s, bool primary) {
    auto d = std::make_unique<Destination>();
    d->owner = this;
    d->sink = s;
    d->primary = primary;
    dests_.push_back(std::move(d));
  };
  add(primary, true);
  for (Sink* s : copies) add(s, false);
  // Threads start once every destination exists: dests_ no longer changes.
  for (auto& d : dests_) d->thread = std::thread([this, p = d.get()] { Run(p); });
}

FanOutSink::~FanOutSink() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
    for (auto& d : dests_) d->queue.clear();
  }
  for (auto& d : dests_) {
    if (d->thread.joinable()) d->thread.join();
  }
}

FanOutSink::Chunk FanOutSink::NewChunk(const char* data, size_t n) {
  uint64_t now = buffered_.fetch_add(n) + n;
  uint64_t peak = peak_.load();
  while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
  }
  return Chunk(new std::string(data, n), [this](const std::string* s) {
    buffered_.fetch_sub(s->size());
    delete s;
  });
}

void FanOutSink::Drop(Destination* d, absl::Status why) {
  d->dropped = true;
  d->status = std::move(why);
  d->queue.clear();
}

void FanOutSink::Run(Destination* d) {
  absl::MutexLock l(&mu_);
  while (true) {
    mu_.Await(absl::Condition(
        +[](Destination* x) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return x->dropped || x->owner->stopping_ || !x->queue.empty() || x->owner->ending_;
        },
        d));
    if (d->dropped || stopping_) return;
    if (d->queue.empty()) {
      // ending_ and nothing left: finish this destination.
      mu_.Unlock();
      absl::Status st = d->sink->Finish();
      mu_.Lock();
      if (!st.ok() && !d->dropped) {
        Drop(d, st);
      } else {
        d->finished = true;
      }
      return;
    }
    // The chunk stays referenced by `c` while it is written, and is freed
    // when the last destination lets go of it.
    Chunk c = d->queue.front();
    d->queue.pop_front();
    const size_t n = c->size();
    mu_.Unlock();
    absl::Status st = d->sink->Write(c->data(), n);
    c.reset();
    mu_.Lock();
    if (d->dropped) return;  // stalled and dropped while it wrote
    if (!st.ok()) {
      Drop(d, st);
      return;
    }
    d->bytes += n;
  }
}

void FanOutSink::AwaitDestination(Destination* d, bool (*done)(Destination*)) {
  struct Arg {
    Destination* d;
    bool (*done)(Destination*);
  } arg{d, done};
  absl::Condition cond(+[](Arg* a) { return a->d->dropped || a->done(a->d); }, &arg);
  if (d->primary) {
    mu_.Await(cond);
    return;
  }
  while (true) {
    uint64_t before = d->bytes;
    size_t queued = d->queue.size();
    if (mu_.AwaitWithTimeout(cond, options_.copy_stall_timeout)) return;
    // Timed out: only a copy that moved not at all is stalled.
    if (d->bytes == before && d->queue.size() == queued) {
      Drop(d, absl::DeadlineExceededError(absl::StrCat(
                  "copy destination made no progress for ",
                  absl::FormatDuration(options_.copy_stall_timeout),
                  "; dropped from the backup's stream")));
      return;
    }
  }
}

absl::Status FanOutSink::Write(const char* data, size_t n) {
  if (n == 0) return absl::OkStatus();
  Chunk c = NewChunk(data, n);
  absl::MutexLock l(&mu_);
  for (auto& d : dests_) {
    if (d->dropped) continue;
    AwaitDestination(d.get(), +[](Destination* x) {
      return x->queue.size() < x->owner->options_.queue_chunks;
    });
  }
  Destination* primary = dests_[0].get();
  if (primary->dropped) return primary->status;
  for (auto& d : dests_) {
    if (!d->dropped) d->queue.push_back(c);
  }
  return absl::OkStatus();
}

absl::Status FanOutSink::Finish() {
  absl::MutexLock l(&mu_);
  if (finished_) return absl::FailedPreconditionError("fan-out finished twice");
  finished_ = true;
  ending_ = true;
  for (auto& d : dests_) {
    if (d->dropped) continue;
    AwaitDestination(d.get(), +[](Destination* x) { return x->finished; });
  }
  return dests_[0]->dropped ? dests_[0]->status : absl::OkStatus();
}

absl::Status FanOutSink::copy_status(size_t i) const {
  absl::MutexLock l(&mu_);
  return dests_.at(i + 1)->status;
}

uint64_t FanOutSink::copy_bytes(size_t i) const {
  absl::MutexLock l(&mu_);
  return dests_.at(i + 1)->bytes;
}

uint64_t FanOutSink::peak_buffered_bytes() const { return peak_.load(); }

}  // namespace dbdump
