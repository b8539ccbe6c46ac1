// Program-order enumeration of the SSA values of a function, shared by the analyses' printers.
#pragma once

#include <functional>
#include <string>

#include "ir/ir.h"

namespace tvk::analysis {

/// Visits every value of `func` in program order: entry-block arguments, then per op its
/// results followed by the block arguments and values of its regions.
void forEachValue(const ir::Operation& func, const std::function<void(const ir::Value*)>& fn);

/// `%name` of a value (the name as printed in TTIR).
std::string valueName(const ir::Value* v);

}  // namespace tvk::analysis
