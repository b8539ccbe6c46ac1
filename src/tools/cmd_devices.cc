// `tvk devices`: the Vulkan devices and the Target limits the compiler uses.
#include <cstdio>
#include <sstream>

#include "runtime/devices.h"
#include "runtime/env.h"
#include "runtime/runtime.h"
#include "tools/command.h"
#include "tools/common.h"

namespace tvk::tools {
namespace {

int runDevices(const std::vector<std::string>& argv) {
  Result<CliArgs> args = parseCli(argv, {}, {});
  if (!args.ok()) return fail(args.status().message());
  Result<std::vector<DeviceInfo>> devices = enumerateDevices();
  if (!devices.ok()) return fail(devices.status().message());
  if (devices->empty()) return fail("no Vulkan device with compute support");
  for (const DeviceInfo& d : *devices) {
    std::printf("[%d] %s (%s, Vulkan %u.%u.%u, driver %s)%s\n", d.index, d.name.c_str(),
                d.type.c_str(), VK_API_VERSION_MAJOR(d.apiVersion),
                VK_API_VERSION_MINOR(d.apiVersion), VK_API_VERSION_PATCH(d.apiVersion),
                d.driver.empty() ? "?" : d.driver.c_str(), d.isDefault ? "  [default]" : "");
    std::istringstream lines(d.target.describe());
    for (std::string line; std::getline(lines, line);) std::printf("    %s\n", line.c_str());
  }
  Result<int> chosen = chooseDevice(*devices, envDevice());
  if (!chosen.ok()) std::printf("no default device: %s\n", chosen.status().message().c_str());
  return 0;
}

const bool kRegistered = registerCommand(
    {"devices", "", "list Vulkan devices and their compiler-relevant limits", runDevices});

}  // namespace
}  // namespace tvk::tools
