#include "lower/fragment_rows.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>

#include "analysis/remat.h"
#include "lower/dot_coopmat.h"
#include "lower/dot_coopmat_plan.h"
#include "lower/registry.h"

namespace tvk::lower {

#ifdef TVK_HAVE_COOPMAT

namespace {

using coop::CoopFrame;
using coop::CoopPlan;
using coop::planFor;

// SPV_NV_cooperative_matrix2 (SPIR-V Registry, extensions/NV/SPV_NV_cooperative_matrix2):
// OpCooperativeMatrixReduceNV, OpCooperativeMatrixPerElementOpNV, the Row reduce mode and
// the capabilities CooperativeMatrixReductionsNV, CooperativeMatrixConversionsNV (an
// OpFConvert that changes Use from accumulator to A) and CooperativeMatrixPerElementOperationsNV.
constexpr spv::Op kOpReduce = static_cast<spv::Op>(5366);
constexpr spv::Op kOpPerElement = static_cast<spv::Op>(5369);
constexpr uint32_t kReduceRow = 0x1;
constexpr uint32_t kCapReductions = 5430, kCapConversions = 5431, kCapPerElement = 5432;

void useRowOps(Context& c) {
  c.b.addExtension("SPV_NV_cooperative_matrix2");
  c.b.requireVersion(0x00010600);  // SPV_NV_cooperative_matrix2 requires SPIR-V 1.6
  for (uint32_t cap : {kCapReductions, kCapConversions, kCapPerElement})
    c.b.addCapability(static_cast<spv::Capability>(cap));
  c.needFeature("cooperativeMatrixRowOps");
}

bool isF32(const ir::Value* v) {
  const ir::Type& s = v->type.scalar();
  return s.isFloat() && s.bits == 32 && s.name == "f32";
}

// A tensor every element of which is one scalar: tt.splat, or a splat arith.constant.
bool isSplat(const ir::Value* v) {
  const ir::Operation* d = v->def;
  if (!d) return false;
  if (d->name == "tt.splat") return true;
  const ir::Attribute* a = d->name == "arith.constant" ? d->attr("value") : nullptr;
  return a && a->kind == ir::Attribute::Kind::Dense && a->isSplat();
}

// Element-wise f32 ops whose scalar lowering runs per element (every operand and the result
// f32, of one shape or scalar).
bool isElementwise(const std::string& n) {
  static const std::set<std::string> kOps = {
      "arith.addf",    "arith.subf",    "arith.mulf", "arith.divf", "arith.negf",
      "arith.maxnumf", "arith.minnumf", "arith.maximumf", "arith.minimumf",
      "math.exp2",     "math.exp",      "math.log2",  "math.log",   "math.sqrt", "math.rsqrt", "math.absf"};
  return kOps.count(n) > 0;
}

// The combining op of a tt.reduce whose region is one of the ops above applied to its two
// arguments, or null.
const ir::Operation* combineOf(const ir::Operation& reduce) {
  if (reduce.regions.size() != 1 || reduce.regions[0]->blocks.size() != 1) return nullptr;
  const ir::Block& blk = *reduce.regions[0]->blocks[0];
  if (blk.args.size() != 2 || blk.ops.size() != 2) return nullptr;
  const ir::Operation& op = *blk.ops[0];
  const ir::Operation& ret = *blk.ops[1];
  static const std::set<std::string> kCombine = {"arith.addf", "arith.mulf", "arith.maxnumf", "arith.minnumf",
                                                 "arith.maximumf", "arith.minimumf"};
  if (!kCombine.count(op.name) || op.numOperands() != 2 || ret.numOperands() != 1 ||
      ret.operand(0) != op.result())
    return nullptr;
  const bool args = (op.operand(0) == blk.args[0].get() && op.operand(1) == blk.args[1].get()) ||
                    (op.operand(0) == blk.args[1].get() && op.operand(1) == blk.args[0].get());
  return args && isF32(op.result()) ? &op : nullptr;
}

enum class Kind { Fail, Scalar, Tile, Rows, RowsExpanded };

// Integer ops of coordinate expressions (isCoordinate).
bool isCoordinateOp(const std::string& n) {
  static const std::set<std::string> kOps = {"arith.addi", "arith.subi",  "arith.muli",  "arith.andi",
                                             "arith.ori",  "arith.xori",  "arith.cmpi",  "arith.select",
                                             "arith.extsi", "arith.extui", "arith.trunci", "arith.maxsi",
                                             "arith.minsi", "arith.maxui", "arith.minui"};
  return kOps.count(n) > 0;
}

// A tensor computed from tt.make_range, splats and constants by expand_dims, broadcast, integer
// arithmetic, int-to-float conversions and the element-wise float ops above (a mask such as
// `offs_m[:, None] >= cols[None, :]`, or tutorial 06's `tl.where(mask, 0, -1.0e6)`): a
// per-element function recomputes it from the element's coordinates (CoordinateEmitter).
bool isCoordinate(const ir::Value* v, int depth = 0) {
  if (!v->type.isTensor()) return v->type.isInt() || v->type.isFloat();
  const ir::Operation* d = v->def;
  if (!d || depth > 16) return false;
  if (d->name == "arith.constant") return isSplat(v);
  if (d->name == "tt.splat" || d->name == "tt.make_range") return true;
  if (d->name == "tt.expand_dims" || d->name == "tt.broadcast") return isCoordinate(d->operand(0), depth + 1);
  const bool op = isCoordinateOp(d->name) || d->name == "arith.sitofp" || d->name == "arith.uitofp" ||
                  (isElementwise(d->name) && isF32(v));
  if (!op || d->results.size() != 1) return false;
  for (const ir::Value* o : d->operands)
    if (!isCoordinate(o, depth + 1)) return false;
  return true;
}

// Classifies the values of the region between the two dots of `loop` (fragment_rows.h).
struct Region {
  const ir::Operation& loop;
  const ir::Operation* dot2;  // the row-scaled loop accumulator's dot
  const ir::Operation* dot1 = nullptr;  // the scores' dot, found on the way
  std::map<const ir::Value*, Kind> kind;
  std::vector<const ir::Value*> order;  // classified values, tiles and rows
  bool failed = false;  // some value of the region cannot be held in fragments

  bool inRegion(const ir::Value* v) const {
    auto it = kind.find(v);
    return it != kind.end() && (it->second == Kind::Tile || it->second == Kind::Rows || it->second == Kind::RowsExpanded);
  }

  Kind classify(const ir::Value* v) {
    auto it = kind.find(v);
    if (it != kind.end()) return it->second;
    Kind k = compute(v);
    kind[v] = k;
    if (k == Kind::Fail) failed = true;
    if (k == Kind::Tile || k == Kind::Rows || k == Kind::RowsExpanded) order.push_back(v);
    return k;
  }

  Kind compute(const ir::Value* v) {
    if (!v->type.isTensor()) return v->type.isFloat() && isF32(v) ? Kind::Scalar : Kind::Fail;
    if (!isF32(v)) return Kind::Fail;
    const ir::Block& body = loop.body();
    if (!analysis::isInside(v, &loop)) return isSplat(v) ? Kind::Scalar : Kind::Fail;
    if (isSplat(v)) return Kind::Scalar;
    if (!v->def) {
      // A loop-carried 1-D value: splat-initialised, its yield a row value.
      if (v->ownerBlock != &body || v->index < 1 || v->type.rank() != 1) return Kind::Fail;
      // Its init: a splat constant, or another loop's result (chooseFragmentRows checks how
      // that loop holds it).
      const int j = v->index - 1;
      if (3 + j >= loop.numOperands()) return Kind::Fail;
      const ir::Value* init = loop.operand(3 + j);
      if (!init->def || !((init->def->name == "arith.constant" && isSplat(init)) || init->def->name == "scf.for"))
        return Kind::Fail;
      kind[v] = Kind::Rows;  // tentatively, for the cycle through the yield
      const ir::Operation* yield = body.terminator();
      if (!yield || j >= yield->numOperands() || classify(yield->operand(j)) != Kind::Rows) return Kind::Fail;
      return Kind::Rows;
    }
    const ir::Operation& d = *v->def;
    if (d.parentBlock != &body) return Kind::Fail;
    if (d.name == "tt.dot") {
      if (&d == dot2 || (dot1 && dot1 != &d) || v->type.rank() != 2) return Kind::Fail;
      const ir::Value* acc = d.operand(2);
      const ir::Attribute* a = acc->def && acc->def->name == "arith.constant" ? acc->def->attr("value") : nullptr;
      // A zero accumulator: the dot's fragments start from zeros (lowerDotCoopMat).
      if (!a || a->kind != ir::Attribute::Kind::Dense || !a->isSplat() || a->elems.empty()) return Kind::Fail;
      const ir::Attribute& e = a->elems[0];
      if (e.kind != ir::Attribute::Kind::Float || e.f != 0.0) return Kind::Fail;
      dot1 = &d;
      return Kind::Tile;
    }
    if (d.name == "tt.expand_dims")
      return d.intAttr("axis") == 1 && classify(d.operand(0)) == Kind::Rows ? Kind::RowsExpanded : Kind::Fail;
    if (d.name == "tt.broadcast")
      return v->type.rank() == 2 && classify(d.operand(0)) == Kind::RowsExpanded ? Kind::Tile : Kind::Fail;
    if (d.name == "tt.reduce") {
      if (d.intAttr("axis") != 1 || d.numOperands() != 1 || d.results.size() != 1 || !combineOf(d) ||
          v->type.rank() != 1)
        return Kind::Fail;
      return classify(d.operand(0)) == Kind::Tile ? Kind::Rows : Kind::Fail;
    }
    // Element-wise ops, and select(mask, x, y) of tiles (masked tails, causal diagonals). A
    // tile op's operand that is a coordinate expression (a mask, an additive mask) is
    // recomputed per element.
    const bool select = d.name == "arith.select" && d.numOperands() == 3 && v->type.rank() == 2;
    if ((!isElementwise(d.name) && !select) || d.results.size() != 1) return Kind::Fail;
    bool tile = false, rows = false;
    for (const ir::Value* o : d.operands) {
      if (o->type.isTensor() && o->type.shape != v->type.shape) return Kind::Fail;
      if (v->type.rank() == 2 && o->type.isTensor() && !isSplat(o) && !kind.count(o) && isCoordinate(o)) continue;
      const Kind k = classify(o);
      if (k == Kind::Tile) tile = true;
      else if (k == Kind::Rows) rows = true;
      else if (k != Kind::Scalar) return Kind::Fail;
    }
    if (tile == rows) return Kind::Fail;  // all scalars, or a mix that cannot occur
    return tile ? Kind::Tile : Kind::Rows;
  }
};

// Recomputes coordinate expressions (isCoordinate) inside a helper function: the scalars they
// start from (other than constants, which are module-wide) become parameters of the function.
// Not Context::emitAt: its memo and its scalars hold ids of the entry function, which a helper
// function cannot use, so this keeps its own memo per function.
struct CoordinateEmitter {
  Context& c;
  std::vector<const ir::Value*> leaves;        // scalar operands passed in, in order
  std::map<const ir::Value*, Id> leafParams;   // ... and their parameters
  std::map<const ir::Value*, Id> memo;         // values at the function's coordinates

  static bool isConstant(const ir::Value* v) { return v->def && v->def->name == "arith.constant"; }

  void collect(const ir::Value* v) {
    if (!v->type.isTensor()) {
      if (!isConstant(v) && std::find(leaves.begin(), leaves.end(), v) == leaves.end()) leaves.push_back(v);
      return;
    }
    if (isConstant(v) || v->def->name == "tt.make_range") return;
    for (const ir::Value* o : v->def->operands) collect(o);
  }

  Result<Id> at(const ir::Value* v, const std::vector<Id>& coords) {
    if (!v->type.isTensor()) {
      if (isConstant(v)) return c.at(v, 0);
      auto it = leafParams.find(v);
      if (it == leafParams.end()) return Status::error("internal: coordinate leaf without a parameter");
      return it->second;
    }
    auto m = memo.find(v);
    if (m != memo.end()) return m->second;
    const ir::Operation& d = *v->def;
    Result<Id> r = Status::error("internal: not a coordinate expression: " + d.where());
    if (d.name == "arith.constant") {
      r = c.at(v, 0);  // an OpConstant: module-wide
    } else if (d.name == "tt.splat") {
      r = at(d.operand(0), {});
    } else if (d.name == "tt.make_range") {
      r = c.b.emit(spv::Op::OpIAdd, c.u32(), {coords[0], c.c32(static_cast<uint32_t>(d.intAttr("start")))});
    } else if (d.name == "tt.expand_dims") {
      std::vector<Id> xc = coords;
      xc.erase(xc.begin() + d.intAttr("axis"));
      r = at(d.operand(0), xc);
    } else if (d.name == "tt.broadcast") {
      std::vector<Id> xc = coords;
      const std::vector<int64_t>& xs = d.operand(0)->type.shape;
      for (size_t i = 0; i < xs.size(); ++i)
        if (xs[i] == 1) xc[i] = c.c32(0);
      r = at(d.operand(0), xc);
    } else {
      std::vector<Id> args;
      for (const ir::Value* o : d.operands) {
        auto a = at(o, coords);
        if (!a.ok()) return a;
        args.push_back(*a);
      }
      r = c.scalarOp(d, args);
    }
    if (r.ok()) memo[v] = *r;
    return r;
  }
};

// The helper function of element-wise `op` on fragments: (row, col, the element of the first
// matrix operand, the other operands but coordinate masks in order[, the fragment's first row
// and column, the masks' scalar leaves]) -> the op's scalar lowering of its operands, the masks
// recomputed at the element's coordinates in the tile.
Result<Id> elementFunction(Context& c, const ir::Operation& op, const std::vector<bool>& coord, int first,
                           CoordinateEmitter& masks) {
  auto& b = c.b;
  std::vector<Id> types{c.u32(), c.u32()};
  std::vector<int> order{first};
  for (int i = 0; i < op.numOperands(); ++i)
    if (i != first && !coord[i]) order.push_back(i);
  for (int i : order) {
    auto t = c.regType(op.operand(i)->type.scalar());
    if (!t.ok()) return t;
    types.push_back(*t);
  }
  const size_t bases = types.size();
  const bool anyCoord = std::find(coord.begin(), coord.end(), true) != coord.end();
  if (anyCoord) {
    for (int i = 0; i < op.numOperands(); ++i)
      if (coord[i]) masks.collect(op.operand(i));
    types.push_back(c.u32());
    types.push_back(c.u32());
    for (const ir::Value* leaf : masks.leaves) {
      auto t = c.regTypeOf(leaf);
      if (!t.ok()) return t;
      types.push_back(*t);
    }
  }
  auto rt = c.regTypeOf(op.result());
  if (!rt.ok()) return rt;
  std::vector<Id> params;
  Id fn = b.beginHelper(*rt, types, params);
  std::vector<Id> args(op.numOperands());
  for (size_t k = 0; k < order.size(); ++k) args[order[k]] = params[2 + k];
  Status st;
  if (anyCoord) {
    for (size_t k = 0; k < masks.leaves.size(); ++k) masks.leafParams[masks.leaves[k]] = params[bases + 2 + k];
    const std::vector<Id> coords{c.ix(params[bases]) + c.ix(params[0]), c.ix(params[bases + 1]) + c.ix(params[1])};
    for (int i = 0; i < op.numOperands() && st.ok(); ++i) {
      if (!coord[i]) continue;
      auto m = masks.at(op.operand(i), coords);
      if (m.ok()) args[i] = *m;
      else st = m.status();
    }
  }
  auto r = st.ok() ? c.scalarOp(op, args) : Result<Id>(st);
  b.endHelper(r.ok() ? *r : b.constNull(*rt));
  if (!r.ok()) return r.status();
  return fn;
}

// The combine function of a reduction: (x, y) -> x op y, and the same with the per-element
// signature (row, col, x, y) when `perElement`.
Result<Id> combineFunction(Context& c, const ir::Operation& combine, bool perElement) {
  auto& b = c.b;
  Id f = c.f32();
  std::vector<Id> types = perElement ? std::vector<Id>{c.u32(), c.u32(), f, f} : std::vector<Id>{f, f};
  std::vector<Id> params;
  Id fn = b.beginHelper(f, types, params);
  auto r = c.scalarOp(combine, {params[types.size() - 2], params[types.size() - 1]});
  b.endHelper(r.ok() ? *r : b.constNull(f));
  if (!r.ok()) return r.status();
  return fn;
}

Status lowerElementwise(Context& c, const ir::Operation& op) {
  const Context::Fragments* f = c.fragments(op.result());
  std::vector<bool> matrix(op.numOperands()), coord(op.numOperands());
  int first = -1;
  for (int i = 0; i < op.numOperands(); ++i) {
    matrix[i] = c.fragments(op.operand(i)) != nullptr;
    // A tensor operand of a tile op that is neither fragments nor a splat: a coordinate mask.
    coord[i] = !matrix[i] && op.operand(i)->type.isTensor() && !isSplat(op.operand(i));
    if (matrix[i] && first < 0) first = i;
  }
  if (first < 0) return c.unsupported(op, "internal error: no fragment operand");
  CoordinateEmitter masks{c, {}, {}, {}};
  auto fn = elementFunction(c, op, coord, first, masks);
  if (!fn.ok()) return fn.status();
  // The fragments' first rows and columns, for the masks.
  CoopPlan p;
  uint32_t base = 0;
  CoopFrame fr;
  const bool anyCoord = std::find(coord.begin(), coord.end(), true) != coord.end();
  if (anyCoord) {
    auto ok = planFor(c, *f->dot, p, base);
    if (!ok.ok()) return ok.status();
    if (!*ok || f->rows || f->count != p.fm * p.fn) return c.unsupported(op, "internal error: mask of row fragments");
    fr = coopFrame(c, p);
  }
  std::vector<Id> out(f->count);
  for (uint32_t k = 0; k < f->count; ++k) {
    std::vector<uint32_t> ops{c.ids(op.operand(first))[k], *fn};
    for (int i = 0; i < op.numOperands(); ++i) {
      if (i == first || coord[i]) continue;
      if (matrix[i]) {
        if (c.ids(op.operand(i)).size() != f->count) return c.unsupported(op, "internal error: fragment counts differ");
        ops.push_back(c.ids(op.operand(i))[k]);
      } else {
        ops.push_back(c.at(op.operand(i), 0));  // a scalar, or a splat's value
      }
    }
    if (anyCoord) {
      ops.push_back(fr.fragRow[k / p.fn]);
      ops.push_back(fr.fragCol[k % p.fn]);
      for (const ir::Value* leaf : masks.leaves) ops.push_back(c.at(leaf, 0));
    }
    out[k] = c.b.emit(kOpPerElement, f->type, ops);
  }
  c.bind(op.result(), std::move(out));
  return Status();
}

// tt.reduce along axis 1 of a tile: the fragments of each fragment row combined element by
// element, then reduced along their rows (every column holds the row's value).
Status lowerReduce(Context& c, const ir::Operation& op) {
  const Context::Fragments* in = c.fragments(op.operand(0));
  const Context::Fragments* f = c.fragments(op.result());
  const ir::Operation* combine = combineOf(op);
  if (!in || !f || !combine || f->count == 0 || in->count % f->count)
    return c.unsupported(op, "internal error: row reduction of fragments");
  auto fn = combineFunction(c, *combine, false);
  if (!fn.ok()) return fn.status();
  const uint32_t fn2 = in->count / f->count;
  Id pe = 0;
  if (fn2 > 1) {
    auto e = combineFunction(c, *combine, true);
    if (!e.ok()) return e.status();
    pe = *e;
  }
  const std::vector<Id>& tiles = c.ids(op.operand(0));
  std::vector<Id> out(f->count);
  for (uint32_t i = 0; i < f->count; ++i) {
    Id t = tiles[i * fn2];
    for (uint32_t j = 1; j < fn2; ++j) t = c.b.emit(kOpPerElement, f->type, {t, pe, tiles[i * fn2 + j]});
    out[i] = c.b.emit(kOpReduce, f->type, {t, kReduceRow, *fn});
  }
  c.bind(op.result(), std::move(out));
  return Status();
}

// The per-element function that rounds an f32 element to `t` (f16 or bf16) and returns it as an
// f32 value exactly representable in `t`: f16 by a scalar conversion there and back (under
// RoundingModeRTE, to nearest even), bf16 by Context::roundTo (integer code: NVIDIA's f32 -> bf16
// conversion truncates). The conversion of the fragments that follows is then exact, whatever
// rounding the device's cooperative-matrix conversion applies.
Result<Id> roundingFunction(Context& c, const ir::Type& t) {
  auto& b = c.b;
  std::vector<Id> params;
  Id fn = b.beginHelper(c.f32(), {c.u32(), c.u32(), c.f32()}, params);
  Result<Id> r = Status::error("");
  if (t.name == "f16") {
    Id h = b.emit(spv::Op::OpFConvert, b.typeFloat(16), {params[2]});
    r = b.emit(spv::Op::OpFConvert, c.f32(), {h});
    c.roundsF16ByMode = true;  // RoundingModeRTE: the conversion rounds to nearest even
  } else {
    r = c.roundTo(t, params[2]);
  }
  b.endHelper(r.ok() ? *r : b.constNull(c.f32()));
  if (!r.ok()) return r.status();
  return fn;
}

// p.to(f16 or bf16) as the A fragments of the second dot (Context::heldFragments, indexed by
// fragment row and K step): each fragment rounded element by element (roundingFunction), then
// converted, which changes the use from accumulator to A.
Status lowerTruncate(Context& c, const ir::Operation& op) {
  const std::vector<std::pair<const ir::Operation*, int>>& uses = c.usesOf(op.result());
  if (uses.size() != 1 || uses[0].first->name != "tt.dot" || uses[0].second != 0)
    return c.unsupported(op, "internal error: scores not used by one dot");
  const ir::Operation& dot = *uses[0].first;
  CoopPlan p;
  uint32_t base = 0;
  auto ok = planFor(c, dot, p, base);
  if (!ok.ok()) return ok.status();
  if (!*ok) return c.unsupported(op, "internal error: the dot left the cooperative-matrix path");
  const CoopFrame fr = coopFrame(c, p);
  const std::vector<Id>& tiles = c.ids(op.operand(0));
  if (tiles.size() != p.fm * (p.K / p.shape.k)) return c.unsupported(op, "internal error: fragment counts differ");
  auto round = roundingFunction(c, op.result()->type.scalar());
  if (!round.ok()) return round.status();
  const Id tC = c.fragments(op.operand(0))->type;
  std::vector<Id>& held = c.heldFragments[{&dot, 0}];
  held.assign(tiles.size(), 0);
  for (size_t k = 0; k < tiles.size(); ++k)
    held[k] = c.b.emit(spv::Op::OpFConvert, fr.tA, {c.b.emit(kOpPerElement, tC, {tiles[k], *round})});
  return Status();
}

}  // namespace

FragmentRowsMode fragmentRowsMode() {
  const char* env = std::getenv("TVK_FRAGMENT_ROWS");
  if (env && std::strcmp(env, "0") == 0) return FragmentRowsMode::Off;
  if (env && std::strcmp(env, "1") == 0) return FragmentRowsMode::Always;
  return FragmentRowsMode::Auto;
}

bool fragmentRowsOn(const Context& c) {
  return c.opts.target.coopMatRowOps && fragmentRowsMode() != FragmentRowsMode::Off;
}

namespace {

// The row-scale operand of `la.scale` (acc * bc) and the expand_dims under it.
const ir::Operation* scaleBroadcast(const analysis::LoopAccumulator& la) {
  const ir::Value* acc = la.loop->body().arg(la.iterArg + 1);
  return la.scale->operand(la.scale->operand(0) == acc ? 1 : 0)->def;
}

// The region of row-scaled loop accumulator `la` (fragment_rows.h), without the dots' plans:
// false when some value in it cannot be held in fragments or is used outside it. `trunc` is
// the p.to(f16) that feeds the second dot.
bool findRegion(Context& c, const analysis::LoopAccumulator& la, Region& r, const ir::Operation*& trunc) {
  const ir::Operation& loop = *la.loop;
  if (!la.scale) return false;
  const ir::Value* a2 = la.dot->operand(0);
  trunc = a2->def;
  const std::string& pt = a2->type.scalar().name;
  if (!trunc || trunc->name != "arith.truncf" || trunc->parentBlock != &loop.body() || (pt != "f16" && pt != "bf16") ||
      la.dot->operand(1)->type.scalar().name != pt || c.usesOf(a2).size() != 1)
    return false;
  // The row scale's broadcast has only the scaled accumulator as its use (it emits nothing).
  const ir::Operation* bc = scaleBroadcast(la);
  const ir::Operation* ex = bc ? bc->operand(0)->def : nullptr;
  if (!bc || !ex || c.usesOf(bc->result()).size() != 1 || c.usesOf(ex->result()).size() != 1) return false;
  if (r.classify(trunc->operand(0)) != Kind::Tile || r.classify(la.rowScale) != Kind::Rows || !r.dot1) return false;
  // The rest of the region: every op of the body that reads one of its values (l_i's sum of
  // p, its update), and the loop-carried values that the yield hands them to.
  const ir::Operation* yield = loop.body().terminator();
  for (bool grew = true; grew && !r.failed;) {
    grew = false;
    for (const auto& owned : loop.body().ops) {
      const ir::Operation& op = *owned;
      if (&op == trunc || &op == ex || &op == yield || op.results.size() != 1 || r.kind.count(op.result())) continue;
      for (const ir::Value* o : op.operands)
        if (r.inRegion(o)) {
          r.classify(op.result());
          grew = true;
          break;
        }
    }
    for (int j = 0; yield && j < yield->numOperands(); ++j) {
      const ir::Value* arg = loop.body().arg(j + 1);
      if (r.inRegion(yield->operand(j)) && !r.kind.count(arg)) {
        r.classify(arg);
        grew = true;
      }
    }
  }
  if (r.failed) return false;
  // Every use of a region value stays in it, but for the truncation, the row scale's
  // broadcast and the yields of the loop-carried rows; every tile has the scores' shape.
  std::set<const ir::Operation*> ops;
  for (const ir::Value* v : r.order)
    if (v->def) ops.insert(v->def);
  const std::vector<int64_t>& tileShape = r.dot1->result()->type.shape;
  for (const ir::Value* v : r.order) {
    for (const auto& [user, idx] : c.usesOf(v)) {
      if (ops.count(user) || (user == trunc && v == trunc->operand(0)) || (v == la.rowScale && user == ex)) continue;
      if (user == yield && v->type.rank() == 1) {
        auto k = r.kind.find(loop.body().arg(idx + 1));
        if (k != r.kind.end() && k->second == Kind::Rows) continue;
      }
      return false;
    }
    const Kind k = r.kind[v];
    const std::vector<int64_t> want = k == Kind::RowsExpanded ? std::vector<int64_t>{tileShape[0], 1}
                                      : k == Kind::Tile       ? tileShape
                                                              : std::vector<int64_t>{tileShape[0]};
    if (v->type.shape != want) return false;
  }
  return true;
}

// Whether the two dots' f32 accumulators, with rows split among the subgroups, fit the
// target's fragmentRowsWords per invocation (TVK_FRAGMENT_ROWS=1 skips this check).
bool fitsFragmentWords(const Context& c, const Region& r) {
  if (fragmentRowsMode() == FragmentRowsMode::Always) return true;
  const Target& t = c.opts.target;
  const std::vector<int64_t>& scores = r.dot1->result()->type.shape;
  const std::vector<int64_t>& out = r.dot2->result()->type.shape;
  const uint64_t subgroups = c.W / t.subgroupSize;  // as planCoop counts them
  const uint64_t rows = (static_cast<uint64_t>(scores[0]) + subgroups - 1) / subgroups;
  const uint64_t words = rows * static_cast<uint64_t>(scores[1] + out[1]) / t.subgroupSize;
  return words <= t.fragmentRowsWords;
}

}  // namespace

bool fragmentRowsLoop(Context& c, const ir::Operation& op) {
  if (!fragmentRowsOn(c) || c.coherent) return false;
  for (const analysis::LoopAccumulator& la : c.loopAccumulators()) {
    if (!la.scale || op.parentBlock != &la.loop->body()) continue;
    Region r{*la.loop, la.dot};
    const ir::Operation* trunc = nullptr;
    if (findRegion(c, la, r, trunc) && (&op == la.dot || &op == r.dot1)) return fitsFragmentWords(c, r);
  }
  return false;
}

Status chooseFragmentRows(Context& c, const ir::Operation& loop) {
  if (!fragmentRowsOn(c) || c.coherent) return Status();
  for (const analysis::LoopAccumulator& la : c.loopAccumulators()) {
    if (la.loop != &loop || !la.scale || !c.rowScaledFragments.count(la.scale)) continue;
    Region r{loop, la.dot};
    const ir::Operation* trunc = nullptr;
    if (!findRegion(c, la, r, trunc) || !fitsFragmentWords(c, r)) continue;
    // The plans: rows split among subgroups alike, one accumulator type, the scores' fragment
    // columns the second dot's K steps.
    CoopPlan p1, p2;
    uint32_t b1 = 0, b2 = 0;
    auto ok1 = planFor(c, *r.dot1, p1, b1);
    if (!ok1.ok()) return ok1.status();
    auto ok2 = planFor(c, *la.dot, p2, b2);
    if (!ok2.ok()) return ok2.status();
    if (!*ok1 || !*ok2 || p1.batched || p2.batched || p1.isInt || p2.isInt || p1.split || p2.split ||
        p1.wn != 1 || p2.wn != 1 || p1.wm != p2.wm || p1.fm != p2.fm || p1.shape.m != p2.shape.m ||
        p1.shape.n != p2.shape.n || p1.shape.n != p2.shape.k || p1.N != p2.K || p1.M != p2.M)
      continue;
    // Row values go back to slots (after the loop) through the first dot's scratch.
    auto alloc = c.smem.allocs.find(r.dot1);
    if (alloc == c.smem.allocs.end() || uint64_t(p1.rows()) * p1.shape.n * 4 > alloc->second.bytes) continue;
    // The row scale's broadcast emits nothing (chooseLoopRepresentations skipped it).
    if (!c.skippedOps.count(scaleBroadcast(la))) continue;
    // Loop-carried rows that start from another loop's result: in slots (converted), or in row
    // fragments of the same tiling.
    bool inits = true;
    for (const ir::Value* v : r.order) {
      if (v->def || r.kind[v] != Kind::Rows) continue;
      const Context::Fragments* from = c.fragments(loop.operand(3 + v->index - 1));
      if (!from) continue;
      auto same = coopSameTiling(c, *from->dot, *r.dot1);
      if (!same.ok()) return same.status();
      if (!from->rows || !*same) inits = false;
    }
    if (!inits) continue;
    Context::Fragments tile;
    auto ok = coopFragments(c, *r.dot1, tile);
    if (!ok.ok()) return ok.status();
    if (!*ok) continue;
    Context::Fragments rows = tile;
    rows.count = p1.fm;
    rows.rows = true;
    for (const ir::Value* v : r.order) {
      const Kind k = r.kind[v];
      c.setFragments(v, k == Kind::Tile ? tile : rows);
      if (v->def && v->def != r.dot1) c.fragmentOps.insert(v->def);
    }
    c.fragmentOps.insert(trunc);
  }
  return Status();
}

Status lowerFragmentOp(Context& c, const ir::Operation& op) {
  useRowOps(c);
  if (op.name == "tt.expand_dims") {
    c.bind(op.result(), c.ids(op.operand(0)));
    return Status();
  }
  if (op.name == "tt.broadcast") {
    const Context::Fragments* f = c.fragments(op.result());
    const std::vector<Id>& rows = c.ids(op.operand(0));
    if (!f || rows.empty() || f->count % rows.size()) return c.unsupported(op, "internal error: broadcast of row fragments");
    const size_t per = f->count / rows.size();
    std::vector<Id> out(f->count);
    for (size_t k = 0; k < out.size(); ++k) out[k] = rows[k / per];
    c.bind(op.result(), std::move(out));
    return Status();
  }
  if (op.name == "tt.reduce") return lowerReduce(c, op);
  if (op.name == "arith.truncf") return lowerTruncate(c, op);
  return lowerElementwise(c, op);
}

Result<std::vector<Id>> rowSlotsToFragments(Context& c, const Context::Fragments& f, const ir::Value* v) {
  CoopPlan p;
  uint32_t base = 0;
  auto ok = planFor(c, *f.dot, p, base);
  if (!ok.ok()) return ok.status();
  if (!*ok || !f.rows || f.count != p.fm || v->type.rank() != 1 || v->type.shape[0] != p.rows())
    return c.unsupported(*f.dot, "row fragments from slots");
  const CoopFrame fr = coopFrame(c, p);
  auto t = c.regTypeOf(v);
  if (!t.ok()) return t.status();
  c.barrier();
  for (uint32_t s = 0; s < c.layouts.slots(v); ++s) {
    const Index row = c.ix(c.layouts.slotLinear(v->type.shape, s));
    TVK_RETURN_IF_ERROR(c.scratch.store(row + base, *t, c.at(v, s)));
  }
  c.barrier();
  const uint32_t colMajor = static_cast<uint32_t>(spv::CooperativeMatrixLayout::ColumnMajorKHR);
  std::vector<Id> out(p.fm);
  for (uint32_t i = 0; i < p.fm; ++i)
    out[i] = c.b.emit(spv::Op::OpCooperativeMatrixLoadKHR, f.type,
                      {c.scratch.ptr(c.ix(fr.fragRow[i]) + base), c.c32(colMajor), c.c32(0)});
  return out;
}

Result<std::vector<Id>> rowFragmentsToSlots(Context& c, const Context::Fragments& f, const ir::Value* v,
                                            const std::vector<Id>& frags) {
  CoopPlan p;
  uint32_t base = 0;
  auto ok = planFor(c, *f.dot, p, base);
  if (!ok.ok()) return ok.status();
  if (!*ok || frags.size() != p.fm || v->type.rank() != 1) return c.unsupported(*f.dot, "row fragments changed");
  const CoopFrame fr = coopFrame(c, p);
  const uint32_t n = p.shape.n;
  const uint32_t rowMajor = static_cast<uint32_t>(spv::CooperativeMatrixLayout::RowMajorKHR);
  c.barrier();
  for (uint32_t i = 0; i < p.fm; ++i)
    c.b.emitVoid(spv::Op::OpCooperativeMatrixStoreKHR,
                 {c.scratch.ptr(c.ix(fr.fragRow[i]) * n + base), frags[i], c.c32(rowMajor), c.c32(n)});
  c.barrier();
  auto t = c.regTypeOf(v);
  if (!t.ok()) return t.status();
  std::vector<Id> out;
  for (uint32_t s = 0; s < c.layouts.slots(v); ++s) {
    const Index row = c.ix(c.layouts.slotLinear(v->type.shape, s));
    auto x = c.scratch.load(row * n + base, *t);
    if (!x.ok()) return x.status();
    out.push_back(*x);
  }
  return out;
}

#else

FragmentRowsMode fragmentRowsMode() { return FragmentRowsMode::Off; }
bool fragmentRowsOn(const Context&) { return false; }
bool fragmentRowsLoop(Context&, const ir::Operation&) { return false; }
Status chooseFragmentRows(Context&, const ir::Operation&) { return Status(); }
Status lowerFragmentOp(Context& c, const ir::Operation& op) {
  return c.unsupported(op, "cooperative matrices not built in");
}
Result<std::vector<Id>> rowFragmentsToSlots(Context& c, const Context::Fragments& f, const ir::Value*,
                                            const std::vector<Id>&) {
  return c.unsupported(*f.dot, "cooperative matrices not built in");
}
Result<std::vector<Id>> rowSlotsToFragments(Context& c, const Context::Fragments& f, const ir::Value*) {
  return c.unsupported(*f.dot, "cooperative matrices not built in");
}

#endif

}  // namespace tvk::lower
