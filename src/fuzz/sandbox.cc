// Forked, time- and memory-limited execution of one fuzz input (see sandbox.h).
#include "fuzz/sandbox.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
#define TVK_FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TVK_FUZZ_ASAN 1
#endif
#endif

namespace tvk::fuzz {

bool builtWithAsan() {
#ifdef TVK_FUZZ_ASAN
  return true;
#else
  return false;
#endif
}

const char* outcomeName(Outcome o) {
  switch (o) {
    case Outcome::Compiled: return "compiled";
    case Outcome::Rejected: return "rejected";
    case Outcome::InvalidSpirv: return "invalid-spirv";
    case Outcome::Crash: return "crash";
    case Outcome::Hang: return "hang";
  }
  return "?";
}

namespace {

/// One temporary file per process receives every child's output (truncated before each run).
int logFd() {
  static int fd = [] {
    FILE* f = std::tmpfile();
    return f ? fileno(f) : -1;
  }();
  return fd;
}

std::string readLog(int fd, size_t maxBytes) {
  std::string out;
  if (fd < 0) return out;
  off_t size = lseek(fd, 0, SEEK_END);
  if (size <= 0) return out;
  size_t n = std::min(static_cast<size_t>(size), maxBytes);
  out.resize(n);
  ssize_t got = pread(fd, &out[0], n, 0);
  out.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return out;
}

[[noreturn]] void childMain(const std::function<int()>& body, const SandboxLimits& lim, int fd) {
  if (fd >= 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
  }
  rlimit cpu{lim.timeoutSeconds, lim.timeoutSeconds + 1};
  setrlimit(RLIMIT_CPU, &cpu);
  rlimit core{0, 0};
  setrlimit(RLIMIT_CORE, &core);
  if (!builtWithAsan() && lim.memoryMiB) {
    rlim_t bytes = static_cast<rlim_t>(lim.memoryMiB) << 20;
    rlimit as{bytes, bytes};
    setrlimit(RLIMIT_AS, &as);
  }
  alarm(lim.timeoutSeconds);
  int code = body();
  std::fflush(stdout);
  std::fflush(stderr);
  _exit(code);  // no atexit handlers, no leak check: only the verdict matters
}

void sleepMs(int ms) {
  timespec ts{0, static_cast<long>(ms) * 1000000L};
  nanosleep(&ts, nullptr);
}

}  // namespace

SandboxResult runSandboxed(const std::function<int()>& body, const SandboxLimits& lim) {
  SandboxResult r;
  int fd = logFd();
  if (fd >= 0) {
    if (ftruncate(fd, 0) != 0) fd = -1;
    else lseek(fd, 0, SEEK_SET);
  }
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    r.how = std::string("fork failed: ") + std::strerror(errno);
    return r;
  }
  if (pid == 0) childMain(body, lim, fd);
  // The child's own alarm normally ends a hang; the parent kills it a little later regardless.
  int status = 0;
  timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  bool killed = false;
  for (int wait = 1;;) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      r.how = std::string("waitpid failed: ") + std::strerror(errno);
      return r;
    }
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double elapsed = static_cast<double>(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) * 1e-9;
    if (!killed && elapsed > lim.timeoutSeconds + 5.0) {
      kill(pid, SIGKILL);
      killed = true;
    }
    sleepMs(wait);
    wait = wait < 8 ? wait * 2 : 8;
  }
  r.log = readLog(fd, lim.maxLogBytes);
  if (WIFEXITED(status)) {
    int code = WEXITSTATUS(status);
    r.how = "exit " + std::to_string(code);
    if (code == kExitCompiled) r.outcome = Outcome::Compiled;
    else if (code == kExitRejected) r.outcome = Outcome::Rejected;
    else if (code == kExitInvalid) r.outcome = Outcome::InvalidSpirv;
    else r.outcome = Outcome::Crash;
  } else if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    r.how = "signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
    r.outcome = sig == SIGALRM || sig == SIGXCPU || killed ? Outcome::Hang : Outcome::Crash;
  }
  return r;
}

}  // namespace tvk::fuzz
