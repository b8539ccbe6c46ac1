// VkResult checking: every Vulkan call's result becomes a Status naming the call and code.
#pragma once

#include <string>

#include <vulkan/vulkan.h>

#include "support/status.h"

namespace tvk {

/// The enumerant name of a VkResult (`VK_ERROR_DEVICE_LOST`), or `VkResult(<n>)`.
const char* vkResultName(VkResult result);

/// Success, or an error "`what` failed: VK_ERROR_...".
Status vkCheck(VkResult result, const char* what);

}  // namespace tvk

/// Returns a Status error from the enclosing function when the Vulkan call fails.
#define TVK_VK(call) TVK_RETURN_IF_ERROR(::tvk::vkCheck((call), #call))
