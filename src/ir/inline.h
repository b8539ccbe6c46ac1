// Inliner: replaces `tt.call @f(...)` by the body of `tt.func @f` defined in the same module
// (Triton's `.source` TTIR calls standard-library helpers such as
// `triton.language.standard.max`), then drops private functions no longer called.
#pragma once

#include "ir/ir.h"
#include "support/status.h"

namespace tvk::ir {

/// Inlines every tt.call whose callee is defined in `m` (recursively); fails on recursion or
/// on a callee with more than one block. Unused private functions are removed afterwards.
Status inlineCalls(Module& m);

}  // namespace tvk::ir
