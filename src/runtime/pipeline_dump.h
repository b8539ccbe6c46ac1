// Writing a pipeline's driver data to files (TVK_PIPELINE_DUMP), to read the driver's machine
// code: the pipeline cache's data, which holds the compiled binary on drivers that cache it,
// and the executables' internal representations where the driver reports any.
#pragma once

#include <string>
#include <vector>

#include "runtime/device_impl.h"

namespace tvk {

/// Writes `<dir>/<name>.cache` (vkGetPipelineCacheData of `cache`, which held only this
/// pipeline) and `<dir>/<name>.<executable>.<representation>.txt` (or .bin) for each internal
/// representation, where name is `entry`-<a hash of `spirv`>, so that variants of one kernel
/// keep apart. Failures are reported on stderr and otherwise ignored: this is a debug aid.
void dumpPipeline(const Device::Impl& d, VkPipelineCache cache, VkPipeline pipeline,
                  const std::string& dir, const std::string& entry, const std::vector<uint32_t>& spirv);

}  // namespace tvk
