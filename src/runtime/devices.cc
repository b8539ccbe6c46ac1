// Enumerating devices and choosing the default one.
#include "runtime/devices.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "runtime/device_query.h"
#include "runtime/env.h"
#include "runtime/instance.h"
#include "support/parse_int.h"

namespace tvk {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int typeRank(const std::string& type) {
  if (type == "discrete") return 0;
  if (type == "integrated") return 1;
  return 2;
}

}  // namespace

std::string deviceTypeName(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    default: return "other";
  }
}

Result<int> chooseDevice(const std::vector<DeviceInfo>& devices, const std::string& selector) {
  if (devices.empty()) return Status::error("no Vulkan device with compute support found");
  if (!selector.empty()) {
    bool numeric = std::all_of(selector.begin(), selector.end(),
                               [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (numeric) {
      Result<int64_t> index = parseInteger("TVK_DEVICE", selector, 0, INT32_MAX);
      if (!index.ok())
        return Status::error(index.status().message() + " (a device index; " +
                             std::to_string(devices.size()) + " devices)");
      for (const DeviceInfo& d : devices)
        if (d.index == *index) return d.index;
      return Status::error("TVK_DEVICE=" + selector + ": no device with that index (" +
                           std::to_string(devices.size()) + " devices)");
    }
    for (const DeviceInfo& d : devices)
      if (lower(d.name).find(lower(selector)) != std::string::npos) return d.index;
    return Status::error("TVK_DEVICE=" + selector + ": no device name contains it");
  }
  const DeviceInfo* best = &devices[0];
  for (const DeviceInfo& d : devices)
    if (typeRank(d.type) < typeRank(best->type)) best = &d;
  return best->index;
}

Result<std::vector<DeviceInfo>> enumerateDevices() {
  Result<std::shared_ptr<Instance>> instance = Instance::get();
  if (!instance.ok()) return instance.status();
  Result<std::vector<VkPhysicalDevice>> physicals = (*instance)->physicalDevices();
  if (!physicals.ok()) return physicals.status();
  std::vector<DeviceInfo> devices;
  for (size_t i = 0; i < physicals->size(); ++i) {
    Result<DeviceFacts> facts =
        queryDeviceFacts(**instance, (*physicals)[i]);
    if (!facts.ok()) return facts.status();
    if (facts->apiVersion < VK_API_VERSION_1_1 || facts->computeQueueFamily < 0) continue;
    DeviceInfo info;
    info.index = static_cast<int>(i);
    info.name = facts->props.deviceName;
    info.type = deviceTypeName(facts->props.deviceType);
    info.driver = facts->driver;
    info.apiVersion = facts->props.apiVersion;
    info.target = targetFromDevice(*facts);
    info.computeUnits = facts->computeUnits;
    devices.push_back(std::move(info));
  }
  Result<int> chosen = chooseDevice(devices, envDevice());
  if (chosen.ok())
    for (DeviceInfo& d : devices) d.isDefault = d.index == *chosen;
  return devices;
}

}  // namespace tvk
