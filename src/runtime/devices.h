// Device enumeration helpers (testable without a device).
#pragma once

#include <string>
#include <vector>

#include "runtime/runtime.h"

namespace tvk {

/// The index openDevice(-1) uses: `selector` (TVK_DEVICE: an index or a case-insensitive
/// name substring) when set, else the first discrete, integrated, then any device.
Result<int> chooseDevice(const std::vector<DeviceInfo>& devices, const std::string& selector);

/// `discrete`, `integrated`, `virtual`, `cpu` or `other`.
std::string deviceTypeName(VkPhysicalDeviceType type);

}  // namespace tvk
