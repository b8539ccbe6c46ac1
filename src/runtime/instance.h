// The process-wide VkInstance: portability enumeration, optional validation layer with a
// debug-utils messenger that records every warning and error.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <vulkan/vulkan.h>

#include "support/status.h"

namespace tvk {

/// Owner of the VkInstance (shared by every Device opened from it).
class Instance {
 public:
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  /// The process-wide instance, created on first use.
  static Result<std::shared_ptr<Instance>> get();
  /// The VkInstance handle.
  VkInstance handle() const { return instance_; }
  /// Instance API version in use.
  uint32_t apiVersion() const { return apiVersion_; }
  /// True when the validation layer is on.
  bool validation() const { return validation_; }
  /// True when device extension support must be limited to what the validation layer knows:
  /// VK_KHR_cooperative_matrix is unknown to layers older than 1.3.255 (they report every
  /// use as an error), so it is not enabled under such a layer.
  bool layerLacksCoopMat() const { return validation_ && layerSpecVersion_ < VK_MAKE_API_VERSION(0, 1, 3, 255); }
  /// Physical devices in enumeration order.
  Result<std::vector<VkPhysicalDevice>> physicalDevices() const;

 private:
  Instance() = default;
  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  uint32_t apiVersion_ = VK_API_VERSION_1_1;
  bool validation_ = false;
  uint32_t layerSpecVersion_ = 0;
};

/// Records one validation message (called by the messenger; also used by tests).
void recordValidationMessage(const std::string& text);

}  // namespace tvk
