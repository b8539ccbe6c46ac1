// The runtime's environment variables, read here and nowhere else, and the checked number
// parsing they use (testable without touching the environment).
#pragma once

#include <cstdint>
#include <string>

#include "support/status.h"

namespace tvk {

/// TVK_DEVICE: a device index or a case-insensitive substring of its name ("" when unset).
std::string envDevice();
/// TVK_VALIDATION=1: enable the Khronos validation layer and count its messages.
bool envValidation();
/// TVK_TIMEOUT: seconds a fence wait may last before the device is marked lost (0 = no
/// limit); `fallback` when unset, an error naming the variable when malformed or negative.
Result<double> envTimeoutSeconds(double fallback);
/// TVK_CACHE_LIMIT: bytes of freed memory the caching allocator may keep; -1 when unset,
/// an error naming the variable when malformed or out of range.
Result<int64_t> envCacheLimit();
/// TVK_DEBUG_RECORDS: records of the debug record buffer (tt.print/tt.assert, 1 to 2^24); -1
/// when unset, an error naming the variable when malformed or out of range.
Result<int64_t> envDebugRecords();

/// TVK_PIPELINE_DUMP: a directory into which every pipeline's driver data is written, for
/// reading the driver's machine code (tools/device/pipeline_sass.py); "" when unset.
std::string envPipelineDump();

/// `text` (surrounding blanks ignored) as a decimal integer in [min, max] (support/parse_int.h);
/// the error names `name` ("TVK_CACHE_LIMIT=-5: integer -5 is out of range [0, ...]").
Result<int64_t> parseInteger(const std::string& name, const std::string& text, int64_t min,
                             int64_t max);
/// `text` as a finite decimal number in [min, max]; the error names `name`.
Result<double> parseNumber(const std::string& name, const std::string& text, double min,
                           double max);

}  // namespace tvk
