// TVK_PIPELINE_DUMP: a pipeline's cache data and internal representations, written to files.
#include "runtime/pipeline_dump.h"

#include <cctype>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace tvk {
namespace {

void writeFile(const std::string& path, const void* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    std::fprintf(stderr, "triton-vulkan: TVK_PIPELINE_DUMP: cannot write %s\n", path.c_str());
    return;
  }
  std::fwrite(data, 1, size, f);
  std::fclose(f);
}

std::string fileSafe(const std::string& s) {
  std::string out;
  for (char ch : s) out += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-') ? ch : '_';
  return out;
}

}  // namespace

void dumpPipeline(const Device::Impl& d, VkPipelineCache cache, VkPipeline pipeline,
                  const std::string& dir, const std::string& entry, const std::vector<uint32_t>& spirv) {
  const size_t digest = std::hash<std::string>{}(
      std::string(reinterpret_cast<const char*>(spirv.data()), spirv.size() * sizeof(uint32_t)));
  const std::string name = fileSafe(entry) + "-" + std::to_string(digest % 1000000007u);
  size_t size = 0;
  if (cache != VK_NULL_HANDLE && vkGetPipelineCacheData(d.device, cache, &size, nullptr) == VK_SUCCESS) {
    std::vector<char> data(size);
    if (vkGetPipelineCacheData(d.device, cache, &size, data.data()) == VK_SUCCESS)
      writeFile(dir + "/" + name + ".cache", data.data(), size);
  }
  if (!d.executablePropertiesFn || !d.executableIRFn) return;
  VkPipelineInfoKHR pinfo{VK_STRUCTURE_TYPE_PIPELINE_INFO_KHR};
  pinfo.pipeline = pipeline;
  uint32_t n = 0;
  if (d.executablePropertiesFn(d.device, &pinfo, &n, nullptr) != VK_SUCCESS) return;
  for (uint32_t e = 0; e < n; ++e) {
    VkPipelineExecutableInfoKHR einfo{VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_INFO_KHR};
    einfo.pipeline = pipeline;
    einfo.executableIndex = e;
    uint32_t m = 0;
    if (d.executableIRFn(d.device, &einfo, &m, nullptr) != VK_SUCCESS || m == 0) continue;
    std::vector<VkPipelineExecutableInternalRepresentationKHR> irs(
        m, VkPipelineExecutableInternalRepresentationKHR{
               VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_INTERNAL_REPRESENTATION_KHR});
    if (d.executableIRFn(d.device, &einfo, &m, irs.data()) != VK_SUCCESS) continue;
    std::vector<std::vector<char>> buffers(m);
    for (uint32_t i = 0; i < m; ++i) {
      buffers[i].resize(irs[i].dataSize);
      irs[i].pData = buffers[i].data();
    }
    VkResult filled = d.executableIRFn(d.device, &einfo, &m, irs.data());
    if (filled != VK_SUCCESS && filled != VK_INCOMPLETE) continue;
    for (uint32_t i = 0; i < m; ++i)
      writeFile(dir + "/" + name + "." + std::to_string(e) + "." + fileSafe(irs[i].name) +
                    (irs[i].isText ? ".txt" : ".bin"),
                buffers[i].data(), irs[i].dataSize);
  }
}

}  // namespace tvk
