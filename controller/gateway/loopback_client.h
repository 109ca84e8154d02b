// LoopbackClient: the gateway's calls into the controller's own gRPC server,
// over one channel to its listening port, by method name with the message
// types the route table names. Going through the server (not around it)
// means every HTTP request meets the same authentication, role check, audit
// entry and handler as the same gRPC call: the two can never disagree.
//
// Thread-safe: calls may run concurrently on the shared channel.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"

namespace google::protobuf {
class Message;
}

namespace dbdump {

class LoopbackClient {
 public:
  explicit LoopbackClient(std::shared_ptr<grpc::Channel> channel);

  // `authorization` is sent as the call's "authorization" metadata (the
  // client's "Bearer …"); empty sends none.
  grpc::Status Call(const std::string& grpc_method, const std::string& authorization,
                    const google::protobuf::Message& request, google::protobuf::Message* response,
                    absl::Duration timeout);

  // A server-streaming call, read one message at a time with a bound on each
  // wait so the caller can check its own client between messages.
  // Not thread-safe: one reader.
  class Stream {
   public:
    enum class Next { kMessage, kTimedOut, kEnded };
    ~Stream();
    // kMessage: `message` holds the next one. kEnded: see status().
    Next Read(google::protobuf::Message* message, absl::Duration wait);
    const grpc::Status& status() const { return status_; }
    // Ends the call at once (the HTTP client went away).
    void Cancel();

   private:
    friend class LoopbackClient;
    bool Wait(void* tag, absl::Duration wait, bool* ok, bool* timed_out);
    grpc::ClientContext context_;
    grpc::CompletionQueue queue_;
    std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
    grpc::ByteBuffer incoming_;
    grpc::Status status_;
    bool reading_ = false;
    bool ended_ = false;
    bool broken_ = false;
  };
  // Starts the call and sends `request`; an error status when it cannot
  // start (the server's answer to a refused call arrives through Read).
  std::unique_ptr<Stream> OpenStream(const std::string& grpc_method,
                                     const std::string& authorization,
                                     const google::protobuf::Message& request);

 private:
  std::shared_ptr<grpc::Channel> channel_;
  grpc::GenericStub stub_;
};

}  // namespace dbdump
