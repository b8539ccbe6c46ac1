// VkInstance creation and the validation-message store.
#include "runtime/instance.h"

#include <cstdio>
#include <cstring>
#include <mutex>

#include "runtime/env.h"
#include "runtime/runtime.h"
#include "runtime/vk_check.h"

namespace tvk {
namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

struct MessageStore {
  std::mutex mutex;
  std::vector<std::string> messages;
  bool validationOn = false;
};

MessageStore& store() {
  static MessageStore s;
  return s;
}

VKAPI_ATTR VkBool32 VKAPI_CALL onDebugMessage(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT,
    const VkDebugUtilsMessengerCallbackDataEXT* data, void*) {
  const char* level =
      (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) ? "error" : "warning";
  std::string text = std::string("validation ") + level + ": " +
                     (data && data->pMessage ? data->pMessage : "(no message)");
  recordValidationMessage(text);
  return VK_FALSE;
}

bool hasInstanceExtension(const std::vector<VkExtensionProperties>& exts, const char* name) {
  for (const VkExtensionProperties& e : exts)
    if (std::strcmp(e.extensionName, name) == 0) return true;
  return false;
}

// The spec version of layer `name`, or 0 when it is not installed.
uint32_t layerVersion(const char* name) {
  uint32_t count = 0;
  if (vkEnumerateInstanceLayerProperties(&count, nullptr) != VK_SUCCESS) return 0;
  std::vector<VkLayerProperties> layers(count);
  if (vkEnumerateInstanceLayerProperties(&count, layers.data()) != VK_SUCCESS) return 0;
  for (const VkLayerProperties& l : layers)
    if (std::strcmp(l.layerName, name) == 0) return l.specVersion;
  return 0;
}

}  // namespace

void recordValidationMessage(const std::string& text) {
  std::fprintf(stderr, "%s\n", text.c_str());
  std::lock_guard<std::mutex> lock(store().mutex);
  store().messages.push_back(text);
}

size_t validationMessageCount() {
  std::lock_guard<std::mutex> lock(store().mutex);
  return store().messages.size();
}

std::vector<std::string> validationMessages() {
  std::lock_guard<std::mutex> lock(store().mutex);
  return store().messages;
}

bool validationEnabled() {
  std::lock_guard<std::mutex> lock(store().mutex);
  return store().validationOn;
}

Result<std::shared_ptr<Instance>> Instance::get() {
  static std::mutex mutex;
  // Never destroyed: vkDestroyInstance from a static destructor crashes some drivers (NVIDIA)
  // whose own globals are gone by then; the process exit releases everything.
  static std::shared_ptr<Instance>& instance = *new std::shared_ptr<Instance>();
  std::lock_guard<std::mutex> lock(mutex);
  if (instance) return instance;

  uint32_t count = 0;
  TVK_VK(vkEnumerateInstanceExtensionProperties(nullptr, &count, nullptr));
  std::vector<VkExtensionProperties> exts(count);
  TVK_VK(vkEnumerateInstanceExtensionProperties(nullptr, &count, exts.data()));

  std::shared_ptr<Instance> inst(new Instance());
  uint32_t loaderVersion = VK_API_VERSION_1_1;
  if (vkEnumerateInstanceVersion(&loaderVersion) != VK_SUCCESS) loaderVersion = VK_API_VERSION_1_1;
  inst->apiVersion_ = loaderVersion >= VK_API_VERSION_1_3 ? VK_API_VERSION_1_3 : loaderVersion;

  std::vector<const char*> extensions;
  std::vector<const char*> layers;
  VkInstanceCreateFlags flags = 0;
  if (hasInstanceExtension(exts, VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME)) {
    extensions.push_back(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME);
    flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
  }
  if (hasInstanceExtension(exts, VK_KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2_EXTENSION_NAME))
    extensions.push_back(VK_KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2_EXTENSION_NAME);
  if (envValidation()) {
    inst->layerSpecVersion_ = layerVersion(kValidationLayer);
    if (inst->layerSpecVersion_ == 0)
      return Status::error("TVK_VALIDATION=1 but " + std::string(kValidationLayer) +
                           " is not installed");
    layers.push_back(kValidationLayer);
    extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    inst->validation_ = true;
  }

  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "triton-vulkan";
  app.pEngineName = "triton-vulkan";
  app.apiVersion = inst->apiVersion_;
  VkDebugUtilsMessengerCreateInfoEXT messengerInfo{
      VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  messengerInfo.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                                  VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  messengerInfo.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                              VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                              VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  messengerInfo.pfnUserCallback = onDebugMessage;

  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  info.pNext = inst->validation_ ? &messengerInfo : nullptr;  // covers create/destroy too
  info.flags = flags;
  info.pApplicationInfo = &app;
  info.enabledLayerCount = static_cast<uint32_t>(layers.size());
  info.ppEnabledLayerNames = layers.data();
  info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  TVK_VK(vkCreateInstance(&info, nullptr, &inst->instance_));

  if (inst->validation_) {
    auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(inst->instance_, "vkCreateDebugUtilsMessengerEXT"));
    if (!create) return Status::error("vkCreateDebugUtilsMessengerEXT not available");
    TVK_VK(create(inst->instance_, &messengerInfo, nullptr, &inst->messenger_));
    std::lock_guard<std::mutex> storeLock(store().mutex);
    store().validationOn = true;
  }
  instance = inst;
  return instance;
}

Instance::~Instance() {
  if (messenger_ != VK_NULL_HANDLE) {
    auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy) destroy(instance_, messenger_, nullptr);
  }
  if (instance_ != VK_NULL_HANDLE) vkDestroyInstance(instance_, nullptr);
}

Result<std::vector<VkPhysicalDevice>> Instance::physicalDevices() const {
  uint32_t count = 0;
  TVK_VK(vkEnumeratePhysicalDevices(instance_, &count, nullptr));
  std::vector<VkPhysicalDevice> devices(count);
  TVK_VK(vkEnumeratePhysicalDevices(instance_, &count, devices.data()));
  devices.resize(count);
  return devices;
}

}  // namespace tvk
