// Checked integer parsing: text → integer with a range check and an error Status instead of
// the exceptions of std::stoi/stoul/stoull (or the silent saturation of strtoll).
//
// Example: parseInt64("2147483648", INT32_MIN, INT32_MAX) is the error
// `integer 2147483648 is out of range [-2147483648, 2147483647]`; parseUint64("ff", UINT64_MAX, 16)
// is 255.
#pragma once

#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>

#include "support/status.h"

namespace tvk {

/// Cuts long inputs for error messages.
inline std::string shortText(std::string_view s) {
  return s.size() <= 40 ? std::string(s) : std::string(s.substr(0, 37)) + "...";
}

/// Parses all of `text` as an unsigned integer in `base` (10 or 16, no sign, no `0x` prefix)
/// that is at most `max`.
inline Result<uint64_t> parseUint64(std::string_view text, uint64_t max = std::numeric_limits<uint64_t>::max(),
                                    int base = 10) {
  uint64_t v = 0;
  const char* b = text.data();
  const char* e = b + text.size();
  auto [ptr, ec] = std::from_chars(b, e, v, base);
  if (text.empty() || ptr != e || (ec != std::errc() && ec != std::errc::result_out_of_range))
    return Status::error("not an integer: '" + shortText(text) + "'");
  if (ec == std::errc::result_out_of_range || v > max)
    return Status::error("integer " + shortText(text) + " is out of range [0, " + std::to_string(max) + "]");
  return v;
}

/// Parses all of `text` as a signed decimal integer (optional leading `-`) in [min, max].
inline Result<int64_t> parseInt64(std::string_view text, int64_t min = std::numeric_limits<int64_t>::min(),
                                  int64_t max = std::numeric_limits<int64_t>::max()) {
  int64_t v = 0;
  const char* b = text.data();
  const char* e = b + text.size();
  auto [ptr, ec] = std::from_chars(b, e, v, 10);
  if (text.empty() || ptr != e || (ec != std::errc() && ec != std::errc::result_out_of_range))
    return Status::error("not an integer: '" + shortText(text) + "'");
  if (ec == std::errc::result_out_of_range || v < min || v > max)
    return Status::error("integer " + shortText(text) + " is out of range [" + std::to_string(min) + ", " +
                         std::to_string(max) + "]");
  return v;
}

}  // namespace tvk
