#include "ir/op_traits.h"

#include <string>

namespace tvk::ir {

bool isRecomputable(const Operation& op) {
  if (!op.regions.empty()) return false;
  const std::string& n = op.name;
  auto startsWith = [&](const char* p) { return n.rfind(p, 0) == 0; };
  return startsWith("arith.") || startsWith("math.") || n == "tt.splat" || n == "tt.make_range" ||
         n == "tt.addptr" || n == "tt.broadcast" || n == "tt.expand_dims" || n == "tt.reshape" ||
         n == "tt.bitcast" || n == "tt.int_to_ptr" || n == "tt.ptr_to_int" || n == "tt.get_program_id" ||
         n == "tt.get_num_programs";
}

bool ordersMemory(const Operation& op) {
  const std::string& n = op.name;
  return n == "tt.store" || n.rfind("tt.atomic", 0) == 0 || n == "tt.descriptor_store" || n == "tt.call" ||
         n == "gpu.barrier" || n == "tt.elementwise_inline_asm" || n == "tt.assert" || n == "tt.print";
}

}  // namespace tvk::ir
