// The `tvk` subcommand registry: each subcommand file registers itself by a static object.
#pragma once

#include <string>
#include <vector>

namespace tvk::tools {

/// One `tvk` subcommand.
struct Command {
  /// Name typed after `tvk` (`devices`, `run`).
  std::string name;
  /// Usage line shown by `tvk --help` (arguments after the name).
  std::string usage;
  /// One-line summary.
  std::string summary;
  /// Runs it with the arguments after the name; returns the process exit code.
  int (*run)(const std::vector<std::string>& args);
};

/// Adds a command to the registry (called from static initializers).
bool registerCommand(const Command& command);
/// All registered commands, sorted by name.
std::vector<Command> commands();

}  // namespace tvk::tools
