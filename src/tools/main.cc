// `tvk`: command-line driver; dispatches to the registered subcommands.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "tools/command.h"

namespace tvk::tools {
namespace {

std::map<std::string, Command>& registry() {
  static std::map<std::string, Command> commands;
  return commands;
}

void printHelp() {
  std::printf("usage: tvk <command> [args]\n\ncommands:\n");
  for (const Command& c : commands())
    std::printf("  %-9s %s\n            tvk %s %s\n", c.name.c_str(), c.summary.c_str(),
                c.name.c_str(), c.usage.c_str());
  std::printf("\nenvironment: TVK_DEVICE (index or name substring), TVK_VALIDATION=1\n");
}

}  // namespace

bool registerCommand(const Command& command) {
  registry()[command.name] = command;
  return true;
}

std::vector<Command> commands() {
  std::vector<Command> out;
  for (const auto& entry : registry()) out.push_back(entry.second);
  return out;
}

}  // namespace tvk::tools

int main(int argc, char** argv) {
  using namespace tvk::tools;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    printHelp();
    return args.empty() ? 2 : 0;
  }
  for (const Command& c : commands()) {
    if (c.name != args[0]) continue;
    return c.run(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  std::fprintf(stderr, "tvk: unknown command '%s' (see tvk --help)\n", args[0].c_str());
  return 2;
}
