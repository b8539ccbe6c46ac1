// The runtime's environment variables, read here and nowhere else.
#pragma once

#include <string>

namespace tvk {

/// TVK_DEVICE: a device index or a case-insensitive substring of its name ("" when unset).
std::string envDevice();
/// TVK_VALIDATION=1: enable the Khronos validation layer and count its messages.
bool envValidation();

}  // namespace tvk
