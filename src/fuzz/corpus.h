// The fuzz corpus: every `*.ttir` file under the given directories (conformance cases'
// kernel.ttir and kernel.source.ttir, src/lower/testdata, tests/fuzz/seeds and regressions), in a
// stable order so that a seed always means the same inputs.
#pragma once

#include <string>
#include <vector>

#include "support/status.h"

namespace tvk::fuzz {

/// One corpus input.
struct CorpusEntry {
  /// Path as found (used in logs).
  std::string path;
  /// File contents.
  std::string text;
};

/// Reads every `*.ttir` file under `dirs` (recursively; a plain file is taken as is), sorted by
/// path. Error when a directory does not exist or nothing is found.
Result<std::vector<CorpusEntry>> loadCorpus(const std::vector<std::string>& dirs);

/// The project's own corpus directories under `sourceDir` (the repository root).
std::vector<std::string> defaultCorpusDirs(const std::string& sourceDir);

}  // namespace tvk::fuzz
