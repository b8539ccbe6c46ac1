// Corpus loading (see corpus.h).
#include "fuzz/corpus.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace tvk::fuzz {

namespace fs = std::filesystem;

namespace {

Status readFile(const fs::path& p, std::string& out) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return Status::error("cannot read " + p.string());
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return Status();
}

}  // namespace

Result<std::vector<CorpusEntry>> loadCorpus(const std::vector<std::string>& dirs) {
  std::vector<fs::path> files;
  for (const std::string& d : dirs) {
    std::error_code ec;
    if (fs::is_regular_file(d, ec)) {
      files.push_back(d);
      continue;
    }
    if (!fs::is_directory(d, ec)) return Status::error("corpus directory " + d + " does not exist");
    fs::recursive_directory_iterator it(d, ec), end;
    if (ec) return Status::error("cannot list " + d + ": " + ec.message());
    for (; it != end; it.increment(ec)) {
      if (ec) return Status::error("cannot list " + d + ": " + ec.message());
      if (it->is_regular_file(ec) && it->path().extension() == ".ttir") files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  std::vector<CorpusEntry> out;
  for (const fs::path& p : files) {
    CorpusEntry e;
    e.path = p.string();
    TVK_RETURN_IF_ERROR(readFile(p, e.text));
    out.push_back(std::move(e));
  }
  if (out.empty()) return Status::error("no *.ttir files in the corpus directories");
  return out;
}

std::vector<std::string> defaultCorpusDirs(const std::string& sourceDir) {
  std::vector<std::string> dirs = {sourceDir + "/tests/conformance/cases", sourceDir + "/src/lower/testdata"};
  std::error_code ec;
  for (const char* d : {"/tests/fuzz/seeds", "/tests/fuzz/regressions"})
    if (fs::is_directory(sourceDir + d, ec)) dirs.push_back(sourceDir + d);
  return dirs;
}

}  // namespace tvk::fuzz
