#include "controller/gateway/loopback_client.h"

#include <google/protobuf/message.h>

#include "absl/synchronization/notification.h"

namespace dbdump {
namespace {

grpc::ByteBuffer Serialize(const google::protobuf::Message& message) {
  std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

bool Parse(const grpc::ByteBuffer& buffer, google::protobuf::Message* message) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  std::string bytes;
  for (const grpc::Slice& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return message->ParseFromString(bytes);
}

// Tags of the stream's operations on its completion queue.
enum Tag : intptr_t { kStart = 1, kWrite, kRead, kFinish };

// gRPC deadlines are wall-clock points; only the interval is ours.
std::chrono::system_clock::time_point After(absl::Duration wait) {
  return std::chrono::system_clock::now() + absl::ToChronoMilliseconds(wait);
}

}  // namespace

LoopbackClient::LoopbackClient(std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)), stub_(channel_) {}

grpc::Status LoopbackClient::Call(const std::string& grpc_method,
                                  const std::string& authorization,
                                  const google::protobuf::Message& request,
                                  google::protobuf::Message* response, absl::Duration timeout) {
  grpc::ClientContext context;
  if (!authorization.empty()) context.AddMetadata("authorization", authorization);
  context.set_deadline(After(timeout));
  grpc::ByteBuffer sent = Serialize(request);
  grpc::ByteBuffer received;
  grpc::Status status;
  absl::Notification done;
  stub_.UnaryCall(&context, grpc_method, grpc::StubOptions(), &sent, &received,
                  [&](grpc::Status s) {
                    status = std::move(s);
                    done.Notify();
                  });
  done.WaitForNotification();
  if (status.ok() && !Parse(received, response)) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "the controller's answer could not be read");
  }
  return status;
}

std::unique_ptr<LoopbackClient::Stream> LoopbackClient::OpenStream(
    const std::string& grpc_method, const std::string& authorization,
    const google::protobuf::Message& request) {
  auto stream = std::make_unique<Stream>();
  if (!authorization.empty()) stream->context_.AddMetadata("authorization", authorization);
  stream->call_ = stub_.PrepareCall(&stream->context_, grpc_method, &stream->queue_);
  bool ok = false;
  bool timed_out = false;
  stream->call_->StartCall(reinterpret_cast<void*>(kStart));
  if (stream->Wait(reinterpret_cast<void*>(kStart), absl::Seconds(30), &ok, &timed_out) && ok) {
    stream->call_->WriteLast(Serialize(request), grpc::WriteOptions(),
                             reinterpret_cast<void*>(kWrite));
    if (!stream->Wait(reinterpret_cast<void*>(kWrite), absl::Seconds(30), &ok, &timed_out)) {
      stream->broken_ = true;
    }
  } else {
    stream->broken_ = true;
  }
  return stream;
}

bool LoopbackClient::Stream::Wait(void* tag, absl::Duration wait, bool* ok, bool* timed_out) {
  *timed_out = false;
  std::chrono::system_clock::time_point deadline = After(wait);
  for (;;) {
    void* got = nullptr;
    grpc::CompletionQueue::NextStatus next =
        queue_.AsyncNext(&got, ok, deadline);
    if (next == grpc::CompletionQueue::TIMEOUT) {
      *timed_out = true;
      return false;
    }
    if (next == grpc::CompletionQueue::SHUTDOWN) return false;
    if (got == tag) return true;
    // A completion of an earlier operation (a write after the call broke):
    // nothing more to do with it.
  }
}

LoopbackClient::Stream::Next LoopbackClient::Stream::Read(google::protobuf::Message* message,
                                                          absl::Duration wait) {
  if (ended_) return Next::kEnded;
  bool ok = false;
  bool timed_out = false;
  if (!broken_) {
    if (!reading_) {
      call_->Read(&incoming_, reinterpret_cast<void*>(kRead));
      reading_ = true;
    }
    if (!Wait(reinterpret_cast<void*>(kRead), wait, &ok, &timed_out)) {
      if (timed_out) return Next::kTimedOut;
      ok = false;
    }
    reading_ = false;
    if (ok) {
      if (Parse(incoming_, message)) return Next::kMessage;
      context_.TryCancel();
    }
  }
  // The stream ended (or broke): its status says how.
  call_->Finish(&status_, reinterpret_cast<void*>(kFinish));
  bool finished = Wait(reinterpret_cast<void*>(kFinish), absl::Seconds(30), &ok, &timed_out);
  if (!finished) {
    status_ = grpc::Status(grpc::StatusCode::UNAVAILABLE, "the controller's stream broke");
  }
  ended_ = true;
  return Next::kEnded;
}

void LoopbackClient::Stream::Cancel() { context_.TryCancel(); }

LoopbackClient::Stream::~Stream() {
  if (!ended_) {
    context_.TryCancel();
    bool ok = false;
    bool timed_out = false;
    if (reading_) Wait(reinterpret_cast<void*>(kRead), absl::Seconds(30), &ok, &timed_out);
    call_->Finish(&status_, reinterpret_cast<void*>(kFinish));
    Wait(reinterpret_cast<void*>(kFinish), absl::Seconds(30), &ok, &timed_out);
  }
  queue_.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (queue_.Next(&tag, &ok)) {
  }
}

}  // namespace dbdump
