// Verifier checks of shape ops (make_range, splat, broadcast, expand_dims, reshape, trans,
// join, split, cat, gather, histogram, unsplat), reductions, scans and tt.dot: result shapes
// follow from operand shapes and attributes, and axes/orders are in range.
#include <algorithm>
#include <cstdint>

#include "ir/scaled_dot.h"
#include "ir/verify_impl.h"

namespace tvk::ir::verify {
namespace {

Status checkMakeRange(const Operation& op) {
  int64_t start = 0, end = 0;
  TVK_RETURN_IF_ERROR(needIntAttr(op, "start", INT32_MIN, INT32_MAX, start));
  TVK_RETURN_IF_ERROR(needIntAttr(op, "end", INT32_MIN, INT32_MAX, end));
  if (start >= end) return err(op, "start " + std::to_string(start) + " is not below end " + std::to_string(end));
  int64_t n = end - start;  // both within i32: no overflow
  if ((n & (n - 1)) != 0) return err(op, "range size " + std::to_string(n) + " is not a power of two");
  const Type& r = op.results[0]->type;
  if (r.rank() != 1 || r.shape[0] != n || r.scalar() != Type::i(32))
    return err(op, "result " + r.str() + " does not hold " + std::to_string(n) + " i32 values");
  return Status();
}

Status checkSplat(const Operation& op) {
  const Type& s = op.operands[0]->type;
  const Type& r = op.results[0]->type;
  if (s.isTensor() || !r.isTensor() || *r.elem != s) return err(op, "cannot splat " + s.str() + " to " + r.str());
  return Status();
}

Status checkUnsplat(const Operation& op) {
  const Type& s = op.operands[0]->type;
  if (!s.isTensor() || s.numel() != 1 || op.results[0]->type != *s.elem)
    return err(op, "cannot unsplat " + s.str() + " to " + op.results[0]->type.str());
  return Status();
}

Status checkBroadcast(const Operation& op) {
  const Type& s = op.operands[0]->type;
  const Type& r = op.results[0]->type;
  bool ok = s.isTensor() && r.isTensor() && s.rank() == r.rank() && *s.elem == *r.elem;
  for (int d = 0; ok && d < s.rank(); ++d) ok = s.shape[d] == r.shape[d] || s.shape[d] == 1;
  if (!ok) return err(op, "cannot broadcast " + s.str() + " to " + r.str());
  return Status();
}

Status checkExpandDims(const Operation& op) {
  const Type& s = op.operands[0]->type;
  const Type& r = op.results[0]->type;
  std::vector<int64_t> want = shapeOf(s);
  int64_t axis = 0;
  TVK_RETURN_IF_ERROR(needIntAttr(op, "axis", 0, static_cast<int64_t>(want.size()), axis));
  if (!s.isTensor()) return err(op, "operand " + s.str() + " is not a tensor");
  want.insert(want.begin() + axis, 1);
  if (!r.isTensor() || r.shape != want || *r.elem != s.scalar())
    return err(op, "result " + r.str() + " is not " + s.str() + " expanded at axis " + std::to_string(axis));
  return Status();
}

Status checkReshape(const Operation& op) {
  const Type& s = op.operands[0]->type;
  const Type& r = op.results[0]->type;
  if (!s.isTensor() || !r.isTensor() || s.numel() != r.numel() || s.scalar() != r.scalar())
    return err(op, "cannot reshape " + s.str() + " to " + r.str());
  return Status();
}

Status checkTrans(const Operation& op) {
  const Type& s = op.operands[0]->type;
  const Type& r = op.results[0]->type;
  const Attribute* order = op.attr("order");
  if (!s.isTensor() || !r.isTensor() || r.rank() != s.rank() || *r.elem != *s.elem)
    return err(op, "result " + r.str() + " is not a permutation of " + s.str());
  if (!order || order->kind != Attribute::Kind::Array || static_cast<int>(order->elems.size()) != s.rank())
    return err(op, "order does not match rank " + std::to_string(s.rank()));
  std::vector<bool> seen(static_cast<size_t>(s.rank()), false);
  for (int d = 0; d < s.rank(); ++d) {
    const Attribute& e = order->elems[d];
    if (e.kind != Attribute::Kind::Int || e.i < 0 || e.i >= s.rank() || seen[static_cast<size_t>(e.i)])
      return err(op, "order " + order->str() + " is not a permutation of 0.." + std::to_string(s.rank() - 1));
    seen[static_cast<size_t>(e.i)] = true;
    if (r.shape[d] != s.shape[static_cast<size_t>(e.i)])
      return err(op, "result " + r.str() + " is not " + s.str() + " permuted by " + order->str());
  }
  return Status();
}

/// tt.join adds a trailing dimension of 2; tt.split removes it.
Status checkJoinSplit(const Operation& op) {
  bool join = op.name == "tt.join";
  const Type& small = join ? op.operands[0]->type : op.results[0]->type;
  const Type& big = join ? op.results[0]->type : op.operands[0]->type;
  std::vector<int64_t> want = shapeOf(small);
  want.push_back(2);
  bool ok = big.isTensor() && big.shape == want && big.scalar() == small.scalar();
  ok = ok && (join ? op.operands[1]->type == small : op.results[1]->type == small);
  if (!ok) return err(op, "shapes " + small.str() + " and " + big.str() + " do not agree");
  return Status();
}

/// tt.cat: two tensors of one type, concatenated along dimension 0.
Status checkCat(const Operation& op) {
  const Type& a = op.operands[0]->type;
  const Type& r = op.results[0]->type;
  bool ok = a.isTensor() && op.operands[1]->type == a && r.isTensor() && r.rank() == a.rank() &&
            *r.elem == *a.elem && r.shape[0] == 2 * a.shape[0];
  for (int d = 1; ok && d < a.rank(); ++d) ok = r.shape[d] == a.shape[d];
  if (!ok) return err(op, "cannot concatenate " + a.str() + " and " + op.operands[1]->type.str() + " into " + r.str());
  return Status();
}

/// tt.gather: result[i] = src[i with i[axis] = idx[i]]; idx and result share a shape that
/// equals src's but along axis.
Status checkGather(const Operation& op) {
  const Type& src = op.operands[0]->type;
  const Type& idx = op.operands[1]->type;
  const Type& r = op.results[0]->type;
  if (!src.isTensor() || !idx.isTensor() || idx.rank() != src.rank())
    return err(op, "source " + src.str() + " and indices " + idx.str() + " need the same rank");
  int64_t axis = 0;
  TVK_RETURN_IF_ERROR(needIntAttr(op, "axis", 0, src.rank() - 1, axis));
  if (!idx.scalar().isInt() || idx.scalar().bits == 1) return err(op, "indices " + idx.str() + " are not integers");
  if (!r.isTensor() || r.shape != idx.shape || *r.elem != *src.elem)
    return err(op, "result " + r.str() + " should have the indices' shape and the source's element type");
  for (int d = 0; d < src.rank(); ++d)
    if (d != axis && idx.shape[d] != src.shape[d])
      return err(op, "indices " + idx.str() + " differ from source " + src.str() + " in dimension " + std::to_string(d));
  return Status();
}

/// tt.histogram: a 1-D integer tensor (and an optional i1 mask of its shape) → 1-D i32 bins.
Status checkHistogram(const Operation& op) {
  const Type& x = op.operands[0]->type;
  const Type& r = op.results[0]->type;
  if (x.rank() != 1 || !x.scalar().isInt() || r.rank() != 1 || r.scalar() != Type::i(32))
    return err(op, "cannot count " + x.str() + " into " + r.str());
  if (op.operands.size() > 1 && (!isBool(op.operands[1]->type) || shapeOf(op.operands[1]->type) != x.shape))
    return err(op, "mask " + op.operands[1]->type.str() + " does not match " + x.str());
  return Status();
}

/// tt.reduce / tt.scan: N operands of one shape, a combiner with 2N scalar arguments and N
/// returned values of the element types, results reduced along (or of the shape of) the axis.
Status checkCombine(const Operation& op) {
  bool reduce = op.name == "tt.reduce";
  size_t n = op.operands.size();
  TVK_RETURN_IF_ERROR(needRegion(op, 0, reduce ? "tt.reduce.return" : "tt.scan.return"));
  TVK_RETURN_IF_ERROR(needResults(op, n));
  const Block& b = op.body(0);
  if (b.args.size() != 2 * n)
    return err(op, "combiner has " + std::to_string(b.args.size()) + " arguments, expected " + std::to_string(2 * n));
  const Type& first = op.operands[0]->type;
  if (!first.isTensor()) return err(op, "operand " + first.str() + " is not a tensor");
  int64_t axis = 0;
  TVK_RETURN_IF_ERROR(needIntAttr(op, "axis", 0, first.rank() - 1, axis));
  std::vector<Type> rets = termTypes(b);
  if (rets.size() != n) return err(op, "combiner returns " + std::to_string(rets.size()) + " values, expected " + std::to_string(n));
  for (size_t i = 0; i < n; ++i) {
    const Type& in = op.operands[i]->type;
    if (!in.isTensor() || in.shape != first.shape) return err(op, "operand " + in.str() + " differs in shape from " + first.str());
    if (!in.scalar().isInt() && !in.scalar().isFloat()) return err(op, "cannot combine " + in.str());
    if (b.args[i]->type != in.scalar() || b.args[i + n]->type != in.scalar() || rets[i] != in.scalar())
      return err(op, "combiner argument or return types do not match " + in.scalar().str());
    Type want = in;
    if (reduce) {
      std::vector<int64_t> s = in.shape;
      s.erase(s.begin() + axis);
      want = s.empty() ? in.scalar() : Type::tensor(s, in.scalar());
    }
    if (op.results[i]->type != want) return err(op, "result " + op.results[i]->type.str() + " should be " + want.str());
  }
  if (!reduce) {
    const Attribute* rev = op.attr("reverse");
    if (rev && rev->kind != Attribute::Kind::Bool && rev->kind != Attribute::Kind::Unit)
      return err(op, "reverse is not a boolean");
  }
  return Status();
}

/// tt.map_elementwise: operands and results of one shape; the body takes `pack` scalars of each
/// operand's element type (operand-major) and returns `pack` of each result's element type.
Status checkMapElementwise(const Operation& op) {
  TVK_RETURN_IF_ERROR(needRegion(op, 0, "tt.map_elementwise.return"));
  int64_t pack = op.intAttr("pack", 1);
  if (pack < 1) return err(op, "pack " + std::to_string(pack) + " is not positive");
  const Block& b = op.body(0);
  size_t p = static_cast<size_t>(pack);
  if (b.args.size() != op.operands.size() * p)
    return err(op, "body has " + std::to_string(b.args.size()) + " arguments, expected operands x pack");
  std::vector<Type> rets = termTypes(b);
  if (rets.size() != op.results.size() * p)
    return err(op, "body returns " + std::to_string(rets.size()) + " values, expected results x pack");
  const Type* shape = op.results.empty() ? nullptr : &op.results[0]->type;
  for (size_t i = 0; i < op.operands.size(); ++i) {
    const Type& t = op.operands[i]->type;
    if (shape && t.isTensor() && t.shape != shape->shape) return err(op, "operand " + t.str() + " differs in shape");
    for (size_t k = 0; k < p; ++k)
      if (b.args[i * p + k]->type != t.scalar()) return err(op, "body argument types do not match " + t.str());
  }
  for (size_t j = 0; j < op.results.size(); ++j) {
    const Type& t = op.results[j]->type;
    if (t.shape != shape->shape) return err(op, "result " + t.str() + " differs in shape");
    for (size_t k = 0; k < p; ++k)
      if (rets[j * p + k] != t.scalar()) return err(op, "body return types do not match " + t.str());
  }
  return Status();
}

Status checkDot(const Operation& op) {
  const Type& a = op.operands[0]->type;
  const Type& b = op.operands[1]->type;
  const Type& c = op.operands[2]->type;
  const Type& d = op.results[0]->type;
  int r = a.rank();
  bool ok = r >= 2 && r == b.rank() && c == d && d.rank() == r;
  ok = ok && a.shape[r - 1] == b.shape[r - 2] && d.shape[r - 2] == a.shape[r - 2] && d.shape[r - 1] == b.shape[r - 1];
  for (int k = 0; ok && k + 2 < r; ++k) ok = a.shape[k] == b.shape[k] && a.shape[k] == d.shape[k];
  if (!ok) return err(op, "shapes " + a.str() + " * " + b.str() + " -> " + d.str() + " do not agree");
  const Type &ae = a.scalar(), &be = b.scalar(), &de = d.scalar();
  bool kinds = (ae.isFloat() && be.isFloat() && de.isFloat()) ||
               (ae.kind == Type::Kind::Int && be.kind == Type::Kind::Int && de.kind == Type::Kind::Int && ae.bits > 1 &&
                be.bits > 1);
  if (!kinds) return err(op, "cannot multiply " + ae.str() + " by " + be.str() + " into " + de.str());
  return Status();
}


/// The element type a tt.dot_scaled operand of format `fmt` has (e2m1 stays packed in i8).
Type dotScaledElem(const std::string& fmt) {
  if (fmt == "e2m1") return Type::i(8);
  if (fmt == "e4m3") return Type::f("f8E4M3FN");
  if (fmt == "e5m2") return Type::f("f8E5M2");
  if (fmt == "bf16") return Type::f("bf16");
  if (fmt == "fp16") return Type::f("f16");
  return Type();
}

Status checkDotScaled(const Operation& op) {
  auto parts = dotScaledParts(op);
  if (!parts.ok()) return err(op, parts.status().message());
  const DotScaledParts& p = *parts;
  const Type &a = p.a->type, &b = p.b->type, &c = p.c->type, &d = op.results[0]->type;
  for (const std::string* f : {&p.aFormat, &p.bFormat})
    if (dotScaledElem(*f).kind == Type::Kind::None) return err(op, "unknown operand format '" + *f + "'");
  if (!a.isTensor() || a.scalar() != dotScaledElem(p.aFormat) || !b.isTensor() || b.scalar() != dotScaledElem(p.bFormat))
    return err(op, "operand types " + a.str() + ", " + b.str() + " do not match formats " + p.aFormat + ", " + p.bFormat);
  if ((!p.aKPack && p.aFormat != "e2m1") || (!p.bKPack && p.bFormat != "e2m1"))
    return err(op, "only e2m1 operands may be packed along a dimension other than K");
  int r = a.rank();
  bool ok = (r == 2 || r == 3) && b.rank() == r && c == d && d.rank() == r && d.scalar().isFloat();
  for (int k = 0; ok && k + 2 < r; ++k) ok = a.shape[k] == b.shape[k] && a.shape[k] == d.shape[k];
  int64_t m = 0, n = 0, ka = 0, kb = 0;
  if (ok) {
    int64_t pa = p.aFormat == "e2m1" ? 2 : 1, pb = p.bFormat == "e2m1" ? 2 : 1;
    m = a.shape[r - 2] * (p.aKPack ? 1 : pa);
    ka = a.shape[r - 1] * (p.aKPack ? pa : 1);
    kb = b.shape[r - 2] * (p.bKPack ? pb : 1);
    n = b.shape[r - 1] * (p.bKPack ? 1 : pb);
    ok = ka == kb && d.shape[r - 2] == m && d.shape[r - 1] == n;
  }
  if (!ok) return err(op, "shapes " + a.str() + " * " + b.str() + " -> " + d.str() + " do not agree");
  for (auto [s, rows] : {std::pair<Value*, int64_t>{p.aScale, m}, {p.bScale, n}}) {
    if (!s) continue;
    const Type& st = s->type;
    bool sok = st.rank() == r && st.scalar() == Type::i(8) && st.shape[r - 2] == rows && st.shape[r - 1] * 32 == ka;
    if (!sok) return err(op, "scale " + st.str() + " is not i8 of [" + std::to_string(rows) + ", K/32]");
  }
  return Status();
}
}  // namespace

void addShapeChecks(CheckTable& t) {
  t["tt.make_range"] = checkMakeRange;
  t["tt.splat"] = checkSplat;
  t["tt.unsplat"] = checkUnsplat;
  t["tt.broadcast"] = checkBroadcast;
  t["tt.expand_dims"] = checkExpandDims;
  t["tt.reshape"] = checkReshape;
  t["tt.trans"] = checkTrans;
  t["tt.join"] = checkJoinSplit;
  t["tt.split"] = checkJoinSplit;
  t["tt.cat"] = checkCat;
  t["tt.gather"] = checkGather;
  t["tt.histogram"] = checkHistogram;
  t["tt.reduce"] = checkCombine;
  t["tt.scan"] = checkCombine;
  t["tt.dot"] = checkDot;
  t["tt.map_elementwise"] = checkMapElementwise;
  t["tt.dot_scaled"] = checkDotScaled;
}

}  // namespace tvk::ir::verify
