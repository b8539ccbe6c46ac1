// A small command-line parser for the `tvk` subcommands.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/status.h"

namespace tvk::tools {

/// Parsed arguments: positionals and `--flag [value]` options.
struct CliArgs {
  /// Arguments that are not options, in order.
  std::vector<std::string> positional;
  /// Options seen (`--asm` → "", `--device 1` → "1", `--print=ir` → "ir").
  std::map<std::string, std::string> options;

  /// True when option `name` (without dashes) was given.
  bool has(const std::string& name) const { return options.count(name) != 0; }
  /// The option's value, or `fallback`.
  std::string get(const std::string& name, const std::string& fallback = "") const;
  /// The option's value as an int (error names the option).
  Result<int> getInt(const std::string& name, int fallback) const;
};

/// Parses `args`; `valued` lists options that take a value, `flags` those that do not; any
/// other option is an error. `-o` is accepted as `--o`.
Result<CliArgs> parseCli(const std::vector<std::string>& args, const std::set<std::string>& valued,
                         const std::set<std::string>& flags);

}  // namespace tvk::tools
