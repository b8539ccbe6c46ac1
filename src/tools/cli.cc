// Command-line parsing.
#include "tools/cli.h"

#include <cstdint>
#include <cstdlib>

#include "support/parse_int.h"

namespace tvk::tools {

std::string CliArgs::get(const std::string& name, const std::string& fallback) const {
  auto it = options.find(name);
  return it == options.end() ? fallback : it->second;
}

Result<int> CliArgs::getInt(const std::string& name, int fallback) const {
  auto it = options.find(name);
  if (it == options.end()) return fallback;
  Result<int64_t> v = parseInt64(it->second, INT32_MIN, INT32_MAX);
  if (!v.ok())
    return Status::error("--" + name + " expects an integer, got '" + it->second + "' (" +
                         v.status().message() + ")");
  return static_cast<int>(*v);
}

Result<CliArgs> parseCli(const std::vector<std::string>& args, const std::set<std::string>& valued,
                         const std::set<std::string>& flags) {
  CliArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string name;
    if (a == "-o") {
      name = "o";
    } else if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      name = a.substr(2);
    } else {
      out.positional.push_back(a);
      continue;
    }
    std::string value;
    bool inlineValue = false;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inlineValue = true;
    }
    if (valued.count(name)) {
      if (!inlineValue) {
        if (i + 1 >= args.size()) return Status::error("option " + a + " needs a value");
        value = args[++i];
      }
    } else if (flags.count(name)) {
      if (inlineValue) return Status::error("option --" + name + " takes no value");
    } else {
      return Status::error("unknown option " + a);
    }
    out.options[name] = value;
  }
  return out;
}

}  // namespace tvk::tools
