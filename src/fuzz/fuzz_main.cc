// tvk_fuzz: deterministic mutation fuzzer of the compiler (parse → verify → compile →
// spirv-val) over the project's TTIR corpus. Each input runs in a forked child with an alarm
// (fuzz/sandbox.h); crashes, sanitizer reports, hangs and invalid SPIR-V are failures, saved
// to --crash-dir. Several processes with different seeds make a campaign.
//
//   tvk_fuzz [--seed S] [--iterations N | --seconds T] [--corpus DIR...] [--crash-dir DIR]
//            [--targets lavapipe,nvidia-hopper] [--timeout SEC] [--quiet]
//   tvk_fuzz --run FILE... [--no-fork] [--num-warps N]   replay inputs, print their outcomes
//
// Last line: `fuzz: executions=N failures=F hangs=H invalid_spirv=I seconds=T ...`; the exit
// status is 1 when F + H + I > 0.
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "fuzz/check.h"
#include "fuzz/corpus.h"
#include "fuzz/mutate.h"
#include "fuzz/sandbox.h"
#include "support/status.h"

#ifndef TVK_SOURCE_DIR
#define TVK_SOURCE_DIR "."
#endif

// Sanitizer defaults for this binary (environment variables still override them): Mesa is
// never loaded here, but leak checks of forked children are not wanted, and a request for
// gigabytes is a finding, not an out-of-memory kill.
extern "C" const char* __asan_default_options() {
  return "detect_leaks=0:abort_on_error=0:max_allocation_size_mb=2048:allocator_may_return_null=0:"
         "handle_abort=1";
}

namespace tvk::fuzz {
namespace {

struct Options {
  uint64_t seed = 1;
  uint64_t iterations = 0;  // 0 = until --seconds
  double seconds = 0;
  std::vector<std::string> corpus;
  std::string crashDir;
  std::vector<std::string> targets = {"lavapipe", "nvidia-hopper"};
  unsigned timeout = 30;
  bool quiet = false;
  std::vector<std::string> run;
  bool noFork = false;
  bool rejectionStats = false;
  std::string saveAll;
  int numWarps = 4;  // for --run
};

const char* kUsage =
    "usage: tvk_fuzz [--seed S] [--iterations N | --seconds T] [--corpus DIR...]\n"
    "                [--crash-dir DIR] [--targets P,P] [--timeout SEC] [--quiet]\n"
    "                [--rejection-stats] [--save-all DIR]   (to tune the mutator)\n"
    "       tvk_fuzz --run FILE... [--no-fork] [--targets P,P] [--num-warps N]\n";

bool parseU64(const std::string& s, uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  out = v;
  return true;
}

std::vector<std::string> splitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t b = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == ',') {
      if (i > b) out.push_back(s.substr(b, i - b));
      b = i + 1;
    }
  return out;
}

Result<Options> parseArgs(int argc, char** argv) {
  Options o;
  std::vector<std::string> a(argv + 1, argv + argc);
  auto value = [&](size_t& i, std::string& out) -> bool {
    if (i + 1 >= a.size()) return false;
    out = a[++i];
    return true;
  };
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string& k = a[i];
    std::string v;
    uint64_t n = 0;
    if (k == "--seed" || k == "--iterations" || k == "--seconds" || k == "--timeout" || k == "--num-warps") {
      if (!value(i, v) || !parseU64(v, n)) return Status::error(k + " needs a non-negative integer");
      if (k == "--seed") o.seed = n;
      else if (k == "--num-warps") o.numWarps = n >= 1 && n <= 64 ? static_cast<int>(n) : 4;
      else if (k == "--iterations") o.iterations = n;
      else if (k == "--seconds") o.seconds = static_cast<double>(n);
      else if (n == 0 || n > 3600) return Status::error("--timeout must be 1..3600");
      else o.timeout = static_cast<unsigned>(n);
    } else if (k == "--corpus" || k == "--run") {
      std::vector<std::string>& dst = k == "--corpus" ? o.corpus : o.run;
      while (i + 1 < a.size() && a[i + 1].rfind("--", 0) != 0) dst.push_back(a[++i]);
      if (dst.empty()) return Status::error(k + " needs at least one path");
    } else if (k == "--save-all") {
      if (!value(i, o.saveAll)) return Status::error("--save-all needs a directory");
    } else if (k == "--crash-dir") {
      if (!value(i, o.crashDir)) return Status::error("--crash-dir needs a directory");
    } else if (k == "--targets") {
      if (!value(i, v) || splitComma(v).empty()) return Status::error("--targets needs profile names");
      o.targets = splitComma(v);
    } else if (k == "--quiet") {
      o.quiet = true;
    } else if (k == "--no-fork") {
      o.noFork = true;
    } else if (k == "--rejection-stats") {
      o.rejectionStats = true;
    } else if (k == "--help" || k == "-h") {
      return Status::error("");
    } else {
      return Status::error("unknown option " + k);
    }
  }
  if (o.run.empty() && o.iterations == 0 && o.seconds == 0) o.iterations = 1000;
  return o;
}

double now() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + t.tv_nsec * 1e-9;
}

/// First line of a child's log that identifies the failure (sanitizer summary, runtime error,
/// assertion, exception), used to save only a few inputs per distinct failure.
std::string signature(const SandboxResult& r) {
  static const char* kKeys[] = {"runtime error:", "SUMMARY:", "terminate called", "Assertion",
                                "what():"};
  for (const char* key : kKeys) {
    size_t p = r.log.find(key);
    if (p == std::string::npos) continue;
    size_t b = r.log.rfind('\n', p);  // the whole line: UBSan puts file:line before the key
    b = b == std::string::npos ? 0 : b + 1;
    size_t e = r.log.find('\n', p);
    return r.log.substr(b, std::min<size_t>(240, e == std::string::npos ? std::string::npos : e - b));
  }
  return std::string(outcomeName(r.outcome)) + " " + r.how;
}

bool writeFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  return static_cast<bool>(f);
}

struct Stats {
  uint64_t executions = 0, compiled = 0, rejected = 0, crashes = 0, hangs = 0, invalid = 0;
  std::map<std::string, int> signatures;
  std::map<std::string, int> rejections;
};

/// A rejection message without its positions, names and numbers (`verify: <op>: ...`).
std::string rejectionKind(const std::string& log) {
  std::string line = log.substr(0, log.find('\n'));
  std::string out;
  bool skip = false;
  for (char c : line) {
    if ((c == '%' || c == '@' || c == '\'' || c == '"')) skip = true;
    else if (c == ' ' || c == ',' || c == ')') skip = false;
    if (skip || (c >= '0' && c <= '9')) continue;
    out += c;
  }
  size_t at = out.find(" at ");
  if (at != std::string::npos) {
    size_t colon = out.find(": ", at);
    out.erase(at, colon == std::string::npos ? std::string::npos : colon - at);
  }
  return out.substr(0, 90);
}

int runChild(const std::string& text, const std::string& name, const std::vector<Target>& targets,
             int numWarps, const std::string& view = "") {
  CheckResult c = checkInput(text, name, targets, numWarps, view);
  if (c.exitCode != kExitCompiled) std::fprintf(stderr, "%s\n", c.message.c_str());
  return c.exitCode;
}

/// Replays files: prints each outcome (and the child's output for failures).
int replay(const Options& o, const std::vector<Target>& targets) {
  int bad = 0;
  for (const std::string& path : o.run) {
    Result<std::vector<CorpusEntry>> in = loadCorpus({path});
    if (!in.ok()) {
      std::fprintf(stderr, "tvk_fuzz: %s\n", in.status().message().c_str());
      return 2;
    }
    const std::string& text = (*in)[0].text;
    if (o.noFork) {
      CheckResult c = checkInput(text, path, targets, o.numWarps);
      std::printf("%s: exit %d %s\n", path.c_str(), c.exitCode, c.message.c_str());
      bad += c.exitCode == kExitInvalid;
      continue;
    }
    SandboxLimits lim;
    lim.timeoutSeconds = o.timeout;
    SandboxResult r = runSandboxed([&] { return runChild(text, path, targets, o.numWarps); }, lim);
    std::printf("%s: %s (%s)\n%s", path.c_str(), outcomeName(r.outcome), r.how.c_str(), r.log.c_str());
    bad += r.outcome == Outcome::Crash || r.outcome == Outcome::Hang || r.outcome == Outcome::InvalidSpirv;
  }
  return bad ? 1 : 0;
}

int fuzzMain(int argc, char** argv) {
  Result<Options> parsed = parseArgs(argc, argv);
  if (!parsed.ok()) {
    if (!parsed.status().message().empty()) std::fprintf(stderr, "tvk_fuzz: %s\n", parsed.status().message().c_str());
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  const Options& o = *parsed;
  std::vector<Target> targets;
  for (const std::string& n : o.targets) {
    Result<Target> t = targetProfile(n);
    if (!t.ok()) {
      std::fprintf(stderr, "tvk_fuzz: %s\n", t.status().message().c_str());
      return 2;
    }
    targets.push_back(*t);
  }
  if (!o.run.empty()) return replay(o, targets);
  Result<std::vector<CorpusEntry>> corpus =
      loadCorpus(o.corpus.empty() ? defaultCorpusDirs(TVK_SOURCE_DIR) : o.corpus);
  if (!corpus.ok()) {
    std::fprintf(stderr, "tvk_fuzz: %s\n", corpus.status().message().c_str());
    return 2;
  }
  if (!o.crashDir.empty() && mkdir(o.crashDir.c_str(), 0755) != 0 && errno != EEXIST) {
    std::fprintf(stderr, "tvk_fuzz: cannot create %s: %s\n", o.crashDir.c_str(), std::strerror(errno));
    return 2;
  }
  if (!o.quiet)
    std::fprintf(stderr, "tvk_fuzz: seed %llu, %zu corpus inputs, %zu targets%s\n",
                 static_cast<unsigned long long>(o.seed), corpus->size(), targets.size(),
                 builtWithAsan() ? ", AddressSanitizer build" : "");
  // Mutants that compiled are mutated further (a bounded pool, deterministic per seed).
  std::vector<std::string> pool;
  const size_t kPoolMax = 256;
  Stats st;
  SandboxLimits lim;
  lim.timeoutSeconds = o.timeout;
  const double start = now();
  double lastReport = start;
  for (uint64_t it = 0; o.iterations == 0 || it < o.iterations; ++it) {
    if (o.seconds > 0 && now() - start >= o.seconds) break;
    Rng rng(iterationSeed(o.seed, it));
    const size_t nBase = corpus->size() + pool.size();
    size_t bi = rng.below(nBase);
    const std::string& base = bi < corpus->size() ? (*corpus)[bi].text : pool[bi - corpus->size()];
    const std::string& other = (*corpus)[rng.below(corpus->size())].text;
    std::string input = mutate(base, other, rng);
    static const int kWarps[] = {4, 4, 4, 1, 2, 8};
    int warps = kWarps[rng.below(6)];
    const std::string& view = inspectViews()[rng.below(inspectViews().size())];
    std::string name = "fuzz-s" + std::to_string(o.seed) + "-i" + std::to_string(it) + ".ttir";
    SandboxResult r = runSandboxed([&] { return runChild(input, name, targets, warps, view); }, lim);
    ++st.executions;
    if (!o.saveAll.empty()) {  // debugging the mutator: every input with its outcome
      std::string stem = o.saveAll + "/" + std::to_string(it);
      writeFile(stem + ".ttir", input);
      writeFile(stem + ".log", std::string(outcomeName(r.outcome)) + "\n" + r.log);
    }
    switch (r.outcome) {
      case Outcome::Compiled:
        ++st.compiled;
        if (input != base) {
          if (pool.size() < kPoolMax) pool.push_back(input);
          else pool[rng.below(kPoolMax)] = input;
        }
        break;
      case Outcome::Rejected:
        ++st.rejected;
        if (o.rejectionStats) ++st.rejections[rejectionKind(r.log)];
        break;
      case Outcome::Crash: ++st.crashes; break;
      case Outcome::Hang: ++st.hangs; break;
      case Outcome::InvalidSpirv: ++st.invalid; break;
    }
    if (r.outcome == Outcome::Crash || r.outcome == Outcome::Hang || r.outcome == Outcome::InvalidSpirv) {
      std::string sig = signature(r);
      int seen = st.signatures[sig]++;
      if (!o.quiet && seen == 0)
        std::fprintf(stderr, "tvk_fuzz: %s (%s) at iteration %llu, num_warps %d: %s\n", outcomeName(r.outcome),
                     r.how.c_str(), static_cast<unsigned long long>(it), warps, sig.c_str());
      if (!o.crashDir.empty() && seen < 3) {
        std::string stem = o.crashDir + "/" + outcomeName(r.outcome) + "-s" + std::to_string(o.seed) + "-i" +
                           std::to_string(it);
        writeFile(stem + ".ttir", input);
        writeFile(stem + ".log", "outcome: " + std::string(outcomeName(r.outcome)) + " (" + r.how +
                                     ")\nnum_warps: " + std::to_string(warps) + "\nsignature: " + sig +
                                     "\n\n" + r.log);
      }
    }
    if (!o.quiet && now() - lastReport >= 30) {
      lastReport = now();
      std::fprintf(stderr, "tvk_fuzz: %llu executions, %llu compiled, %llu rejected, %llu failures, %.0f s\n",
                   static_cast<unsigned long long>(st.executions), static_cast<unsigned long long>(st.compiled),
                   static_cast<unsigned long long>(st.rejected),
                   static_cast<unsigned long long>(st.crashes + st.hangs + st.invalid), lastReport - start);
    }
  }
  if (o.rejectionStats) {
    std::vector<std::pair<int, std::string>> kinds;
    for (const auto& [k, n] : st.rejections) kinds.push_back({n, k});
    std::sort(kinds.rbegin(), kinds.rend());
    for (size_t i = 0; i < kinds.size() && i < 150; ++i) std::printf("%6d  %s\n", kinds[i].first, kinds[i].second.c_str());
  }
  std::printf("fuzz: executions=%llu failures=%llu hangs=%llu invalid_spirv=%llu seconds=%.1f "
              "compiled=%llu rejected=%llu distinct=%zu seed=%llu\n",
              static_cast<unsigned long long>(st.executions), static_cast<unsigned long long>(st.crashes),
              static_cast<unsigned long long>(st.hangs), static_cast<unsigned long long>(st.invalid),
              now() - start, static_cast<unsigned long long>(st.compiled),
              static_cast<unsigned long long>(st.rejected), st.signatures.size(),
              static_cast<unsigned long long>(o.seed));
  return st.crashes + st.hangs + st.invalid ? 1 : 0;
}

}  // namespace
}  // namespace tvk::fuzz

int main(int argc, char** argv) { return tvk::fuzz::fuzzMain(argc, argv); }
