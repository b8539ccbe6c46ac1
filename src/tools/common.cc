// Shared subcommand helpers.
#include "tools/common.h"

#include <cstdio>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "runtime/runtime.h"

namespace tvk::tools {

Result<std::string> readTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error("cannot open " + path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Result<Target> targetFromArgs(const CliArgs& args) {
  if (args.has("target")) return targetProfile(args.get("target"));
  Result<int> index = args.getInt("device", -1);
  if (!index.ok()) return index.status();
  Result<std::vector<DeviceInfo>> devices = enumerateDevices();
  if (!devices.ok()) return devices.status();
  for (const DeviceInfo& d : *devices)
    if ((*index < 0 && d.isDefault) || d.index == *index) return d.target;
  if (*index < 0) return Status::error("no default Vulkan device (check TVK_DEVICE)");
  return Status::error("no Vulkan device with index " + std::to_string(*index));
}

Result<CompileOptions> compileOptionsFromArgs(const CliArgs& args, const std::string& fileName) {
  Result<Target> target = targetFromArgs(args);
  if (!target.ok()) return target.status();
  Result<int> warps = args.getInt("num-warps", 4);
  if (!warps.ok()) return warps.status();
  if (*warps < 1) return Status::error("--num-warps needs a positive integer, got " + std::to_string(*warps));
  Result<int> vectorBytes = args.getInt("vector-bytes", 16);
  if (!vectorBytes.ok()) return vectorBytes.status();
  if (*vectorBytes < 0) return Status::error("--vector-bytes must not be negative");
  Result<int> stages = args.getInt("num-stages", 3);
  if (!stages.ok()) return stages.status();
  if (*stages < 1) return Status::error("--num-stages needs a positive integer, got " + std::to_string(*stages));
  CompileOptions options;
  options.numWarps = *warps;
  options.numStages = *stages;
  options.maxVectorBytes = static_cast<uint32_t>(*vectorBytes);
  options.target = *target;
  options.fileName = fileName;
  return options;
}

std::string reflectionJson(const Reflection& r) {
  nlohmann::ordered_json j;
  j["entry"] = r.entry;
  j["push_constant_bytes"] = r.pushConstantBytes;
  j["workgroup_size"] = {r.workgroupSize[0], r.workgroupSize[1], r.workgroupSize[2]};
  j["subgroup_size"] = r.subgroupSize;
  j["num_warps"] = r.numWarps;
  j["shared_bytes"] = r.sharedBytes;
  j["features"] = r.features;
  j["status_binding"] = r.statusBinding;
  j["addresses"] = r.addresses;
  j["debug_binding"] = r.debugBinding;
  if (r.debugBinding >= 0) {
    j["debug_kernel_id"] = r.debugKernelId;
    j["debug_sites"] = nlohmann::ordered_json::array();
    for (const DebugSite& s : r.debugSites) {
      nlohmann::ordered_json sj;
      sj["kind"] = s.kind == DebugSite::Kind::Assert ? "assert" : "print";
      sj["text"] = s.text;
      sj["operand"] = s.operand;
      sj["type"] = s.type;
      sj["shape"] = s.shape;
      sj["where"] = s.file + ":" + std::to_string(s.line);
      j["debug_sites"].push_back(sj);
    }
  }
  j["args"] = nlohmann::ordered_json::array();
  for (const ArgInfo& a : r.args) {
    nlohmann::ordered_json aj;
    aj["name"] = a.name;
    aj["kind"] = a.kind == ArgInfo::Kind::Buffer ? "buffer" : "scalar";
    aj["type"] = a.type;
    aj["size"] = a.size;
    aj["binding"] = a.binding;
    aj["push_offset"] = a.pushOffset;
    if (a.kind == ArgInfo::Kind::Buffer) {
      aj["read"] = a.read;
      aj["written"] = a.written;
      aj["alignment"] = a.alignment;
      aj["max_elem_index"] = a.maxElemIndex;
    }
    j["args"].push_back(aj);
  }
  return j.dump(2);
}

int fail(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

}  // namespace tvk::tools
