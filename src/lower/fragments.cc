#include "lower/fragments.h"

#include "lower/dot_coopmat.h"
#include "lower/fragment_rows.h"

namespace tvk::lower {

Status chooseLoopRepresentations(Context& c, const ir::Operation& loop) {
  for (const analysis::LoopAccumulator& la : c.loopAccumulators()) {
    if (la.loop != &loop) continue;
    Context::Fragments f;
    auto ok = coopFragments(c, *la.dot, f);
    if (!ok.ok()) return ok.status();
    if (!*ok) continue;
    if (!la.splatInit) {
      // Chained from another loop's result: only when that loop hands it over in fragments
      // of the same tiling.
      const Context::Fragments* from = c.fragments(loop.operand(3 + la.iterArg));
      if (!from || from->rows) continue;
      auto same = coopSameTiling(c, *from->dot, *la.dot);
      if (!same.ok()) return same.status();
      if (!*same) continue;
    }
    if (la.scale) {
      // acc * s[:, None]: scaled in fragments (coopScaleRows); the broadcast of s emits
      // nothing when the mulf is its only use.
      auto can = coopCanScaleRows(c, *la.dot);
      if (!can.ok()) return can.status();
      if (!*can) continue;
      c.rowScaledFragments[la.scale] = la.rowScale;
      c.setFragments(la.scale->result(), f);
      // The other operand: tt.broadcast(tt.expand_dims(s)), as analysis/loop_accumulators.h found.
      const ir::Value* bc = la.scale->operand(la.scale->operand(0) == loop.body().arg(la.iterArg + 1) ? 1 : 0);
      const ir::Value* ex = bc->def->operand(0);
      if (c.usesOf(bc).size() == 1) {
        c.skippedOps.insert(bc->def);
        if (c.usesOf(ex).size() == 1) c.skippedOps.insert(ex->def);
      }
    }
    c.setFragments(loop.body().arg(la.iterArg + 1), f);
    c.setFragments(la.dot->result(), f);
  }
  return chooseFragmentRows(c, loop);
}

Result<std::vector<Id>> idsAs(Context& c, const ir::Value* v, const Context::Fragments* f) {
  const Context::Fragments* have = c.fragments(v);
  if (have && f) {
    if (have->dot != f->dot) {  // another loop's result (a chained accumulator or row value)
      auto same = coopSameTiling(c, *have->dot, *f->dot);
      if (!same.ok()) return same.status();
      if (!*same || have->rows != f->rows) return c.unsupported(*f->dot, "fragments of another dot tiling");
    }
    return c.ids(v);
  }
  if (have) return have->rows ? rowFragmentsToSlots(c, *have, v, c.ids(v)) : coopFragmentsToSlots(c, *have, c.ids(v));
  if (!f) return c.ids(v);
  // Splat constants become constant fragments; row values in slots (a chained loop's m_i, l_i
  // from a loop that did not hold them in fragments) go through scratch.
  const ir::Operation* def = v->def;
  const bool constant = def && def->name == "arith.constant" && !c.ids(v).empty();
  if (!constant && f->rows) return rowSlotsToFragments(c, *f, v);
  if (!constant) return c.unsupported(*f->dot, "fragment accumulator from a non-constant value");
  return coopSplatFragments(c, *f, c.at(v, 0));
}

}  // namespace tvk::lower
