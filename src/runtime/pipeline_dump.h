// Writing a pipeline's driver data to files (TVK_PIPELINE_DUMP), to read the driver's machine
// code: the pipeline cache's data, which holds the compiled binary on drivers that cache it,
// and the executables' internal representations where the driver reports any.
#pragma once

#include <string>

#include "runtime/device_impl.h"

namespace tvk {

/// Writes `<dir>/<name>.cache` (vkGetPipelineCacheData of `cache`, which held only this
/// pipeline) and `<dir>/<name>.<executable>.<representation>.txt` for each textual internal
/// representation. Failures are reported on stderr and otherwise ignored: this is a debug aid.
void dumpPipeline(const Device::Impl& d, VkPipelineCache cache, VkPipeline pipeline,
                  const std::string& dir, const std::string& name);

}  // namespace tvk
