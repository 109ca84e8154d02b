#include "common/process/subprocess_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {

constexpr size_t kStderrKeepBytes = 16 << 10;

class Subprocess : public Process {
 public:
  Subprocess(pid_t pid, int in_fd, int out_fd, int err_fd)
      : pid_(pid), in_fd_(in_fd), out_fd_(out_fd) {
    err_reader_ = std::thread([this, err_fd] {
      char buf[4096];
      while (true) {
        ssize_t n = ::read(err_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        absl::MutexLock l(&mu_);
        err_.append(buf, static_cast<size_t>(n));
        if (err_.size() > kStderrKeepBytes) err_.erase(0, err_.size() - kStderrKeepBytes);
      }
      ::close(err_fd);
    });
  }
  ~Subprocess() override {
    if (!reaped_.load()) {
      Terminate();
      Wait();
    }
    if (in_fd_ >= 0) ::close(in_fd_);
    if (out_fd_ >= 0) ::close(out_fd_);
  }
  pid_t pid() const override { return pid_; }
  int ReleaseStdin() override {
    int fd = in_fd_;
    in_fd_ = -1;
    return fd;
  }
  int stdout_fd() const override { return out_fd_; }
  // Only Wait() reaps, under reap_mu_, so concurrent Wait/Terminate calls
  // never race on waitpid or on joining the stderr reader.
  int Wait() override {
    absl::MutexLock l(&reap_mu_);
    if (!reaped_.load()) {
      int st = 0;
      pid_t r;
      while ((r = ::waitpid(pid_, &st, 0)) < 0 && errno == EINTR) {
      }
      if (r == pid_) {
        exit_code_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      } else {
        exit_code_ = 255;  // cannot know: never report success
      }
      reaped_ = true;
      if (err_reader_.joinable()) err_reader_.join();
    }
    return exit_code_;
  }
  // Safe from any thread: signals only, and looks at the exit without
  // reaping it (WNOWAIT), so the pid stays ours until Wait().
  void Terminate() override {
    if (reaped_.load()) return;
    ::kill(-pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (reaped_.load() || Exited()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!reaped_.load()) ::kill(-pid_, SIGKILL);  // the group: stragglers too
  }
  std::string StderrTail() override {
    absl::MutexLock l(&mu_);
    return std::string(absl::StripAsciiWhitespace(err_));
  }

 private:
  pid_t pid_;
  int in_fd_;
  int out_fd_;
  bool Exited() {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
      return true;  // already reaped by Wait()
    }
    return info.si_pid == pid_;
  }

  std::thread err_reader_;
  std::atomic<bool> reaped_{false};
  absl::Mutex reap_mu_;
  int exit_code_ ABSL_GUARDED_BY(reap_mu_) = -1;
  absl::Mutex mu_;
  std::string err_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<Process>> SubprocessRunner::Start(const ProcessOptions& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("empty command");
  if (options.pipe_stdin) {
    // A child that exits early must turn our writes into EPIPE errors, not
    // kill the whole process with SIGPIPE.
    static std::once_flag ignore_sigpipe;
    std::call_once(ignore_sigpipe, [] { signal(SIGPIPE, SIG_IGN); });
  }
  const char* path_env = getenv("PATH");
  std::string program = FindExecutable(options.argv[0], path_env ? path_env : "/usr/bin:/bin");
  if (program.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(options.argv[0], " not found: install it or add it to PATH"));
  }
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  auto close_all = [&] {
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) {
      if (fd >= 0) ::close(fd);
    }
  };
  if ((options.pipe_stdin && ::pipe2(in, O_CLOEXEC) != 0) ||
      (options.pipe_stdout && ::pipe2(out, O_CLOEXEC) != 0) || ::pipe2(err, O_CLOEXEC) != 0) {
    close_all();
    return absl::ResourceExhaustedError(absl::StrCat("pipe: ", strerror(errno)));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (options.pipe_stdin) {
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  } else {
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  }
  if (options.pipe_stdout) {
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t def;
  sigemptyset(&def);
  sigaddset(&def, SIGPIPE);
  sigaddset(&def, SIGTERM);
  sigaddset(&def, SIGINT);
  posix_spawnattr_setsigdefault(&attr, &def);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> env_strings;
  for (const auto& [k, v] : options.env) env_strings.push_back(absl::StrCat(k, "=", v));
  std::vector<char*> argv, envp;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = 0;
  int rc = posix_spawn(&pid, program.c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    close_all();
    return absl::FailedPreconditionError(
        absl::StrCat("cannot start ", options.argv[0], ": ", strerror(rc)));
  }
  for (int fd : {in[0], out[1], err[1]}) {
    if (fd >= 0) ::close(fd);
  }
  return std::unique_ptr<Process>(new Subprocess(pid, in[1], out[0], err[0]));
}

}  // namespace dbdump
