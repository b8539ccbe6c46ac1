// tt.get_program_id = WorkgroupId + pid_base (push constants; the runtime splits big grids),
// tt.get_num_programs = num_programs (push constants).
#include "lower/registry.h"

namespace tvk::lower {

namespace {

int axisOf(const ir::Operation& op) {
  const ir::Attribute* a = op.attr("axis");
  if (!a) return 0;
  if (a->kind == ir::Attribute::Kind::Keyword || a->kind == ir::Attribute::Kind::String)
    return a->s == "y" ? 1 : a->s == "z" ? 2 : 0;
  return static_cast<int>(a->i);
}

Status programId(Context& c, const ir::Operation& op) {
  int axis = axisOf(op);
  Id v3 = c.b.typeVector(c.u32(), 3);
  Id wg = c.b.emit(spv::Op::OpLoad, v3, {c.workgroupIdVar});
  Id x = c.b.emit(spv::Op::OpCompositeExtract, c.u32(), {wg, static_cast<uint32_t>(axis)});
  Id base = c.loadPush(static_cast<uint32_t>(axis));
  c.bind(op.result(), {c.b.emit(spv::Op::OpIAdd, c.u32(), {x, base})});
  return Status();
}

Status numPrograms(Context& c, const ir::Operation& op) {
  c.bind(op.result(), {c.loadPush(static_cast<uint32_t>(3 + axisOf(op)))});
  return Status();
}

}  // namespace

void registerProgramIdOps(Registry& r) {
  registerLowering(r, "tt.get_program_id", programId);
  registerLowering(r, "tt.get_num_programs", numPrograms);
}

}  // namespace tvk::lower
