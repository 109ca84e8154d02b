// The fixture of the tests of dbdumpctl's verbs: runs a command line through
// Cli with tests/fakes/fake_controller_client.h as its client.
#pragma once

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "controller/cli/cli.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_controller_client.h"

namespace dbdump {

inline v1::Job MakeJob(v1::JobState state, uint64_t in, uint64_t out, double elapsed) {
  v1::Job job;
  job.set_id("job-1");
  job.set_kind(v1::JOB_KIND_BACKUP);
  job.set_database("orders");
  job.set_backup_id("20260115T020000Z-0badc0de");
  job.set_state(state);
  job.mutable_progress()->set_bytes_in(in);
  job.mutable_progress()->set_bytes_out(out);
  job.mutable_progress()->set_elapsed_s(elapsed);
  return job;
}

class CliCommandsTest : public ::testing::Test {
 protected:
  int Run(const std::vector<std::string>& args, bool tty = false) {
    CliOptions options;
    options.stderr_is_tty = tty;
    options.now = [this] { return now_; };
    options.make_client = [this](const ControllerConnection& connection) {
      address_ = connection.address;
      timeout_ = connection.timeout;
      return std::make_unique<FakeControllerClient>(&fake_);
    };
    out_.str("");
    err_.str("");
    return Cli(options).Run(args, out_, err_);
  }

  FakeController fake_;
  absl::Time now_ = absl::FromUnixSeconds(1768442400);
  std::string address_;
  absl::Duration timeout_;
  std::ostringstream out_, err_;
};

}  // namespace dbdump
