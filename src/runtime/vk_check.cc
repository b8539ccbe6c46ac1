// VkResult names.
#include "runtime/vk_check.h"

#include <string>

namespace tvk {

const char* vkResultName(VkResult result) {
  switch (result) {
#define TVK_NAME(x) \
  case x:           \
    return #x;
    TVK_NAME(VK_SUCCESS)
    TVK_NAME(VK_NOT_READY)
    TVK_NAME(VK_TIMEOUT)
    TVK_NAME(VK_EVENT_SET)
    TVK_NAME(VK_EVENT_RESET)
    TVK_NAME(VK_INCOMPLETE)
    TVK_NAME(VK_ERROR_OUT_OF_HOST_MEMORY)
    TVK_NAME(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    TVK_NAME(VK_ERROR_INITIALIZATION_FAILED)
    TVK_NAME(VK_ERROR_DEVICE_LOST)
    TVK_NAME(VK_ERROR_MEMORY_MAP_FAILED)
    TVK_NAME(VK_ERROR_LAYER_NOT_PRESENT)
    TVK_NAME(VK_ERROR_EXTENSION_NOT_PRESENT)
    TVK_NAME(VK_ERROR_FEATURE_NOT_PRESENT)
    TVK_NAME(VK_ERROR_INCOMPATIBLE_DRIVER)
    TVK_NAME(VK_ERROR_TOO_MANY_OBJECTS)
    TVK_NAME(VK_ERROR_FORMAT_NOT_SUPPORTED)
    TVK_NAME(VK_ERROR_FRAGMENTED_POOL)
    TVK_NAME(VK_ERROR_UNKNOWN)
    TVK_NAME(VK_ERROR_OUT_OF_POOL_MEMORY)
    TVK_NAME(VK_ERROR_INVALID_EXTERNAL_HANDLE)
    TVK_NAME(VK_ERROR_FRAGMENTATION)
    TVK_NAME(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS)
    TVK_NAME(VK_PIPELINE_COMPILE_REQUIRED)
    TVK_NAME(VK_ERROR_INVALID_SHADER_NV)
    TVK_NAME(VK_ERROR_NOT_PERMITTED_KHR)
#undef TVK_NAME
    default:
      break;
  }
  static thread_local std::string unknown;
  unknown = "VkResult(" + std::to_string(static_cast<int>(result)) + ")";
  return unknown.c_str();
}

Status vkCheck(VkResult result, const char* what) {
  if (result == VK_SUCCESS) return Status();
  std::string call(what);
  size_t paren = call.find('(');
  if (paren != std::string::npos) call.resize(paren);
  return Status::error(call + " failed: " + vkResultName(result));
}

}  // namespace tvk
