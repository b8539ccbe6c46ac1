#include "analysis/access_bounds.h"

#include <algorithm>
#include <functional>
#include <map>
#include <unordered_map>

#include "analysis/values.h"
#include "ir/int_eval.h"
#include "ir/walk.h"

namespace tvk::analysis {

namespace {

/// Tensors larger than this are not evaluated (their accesses count as unknown).
constexpr int64_t kMaxElems = int64_t{1} << 16;
/// Byte offsets beyond this are not trusted (the kernel's own offsets may wrap there).
constexpr int64_t kMaxBytes = int64_t{1} << 40;

/// Row-major element values of an integer (or i1) value.
using Elems = std::vector<int64_t>;

/// A pointer value whose byte offsets from its kernel argument are known.
struct PtrVal {
  /// Kernel parameter index.
  int arg = -1;
  /// Byte offset of each element.
  Elems bytes;
};

using ir::unsignedAt;
using ir::wrapInt;

/// Bytes of one pointee element (i1 is stored as one byte).
int64_t elemBytes(const ir::Type& pointee) {
  if (pointee.isPtr()) return 8;
  return pointee.isInt() && pointee.bits == 1 ? 1 : std::max(1, (pointee.bits + 7) / 8);
}

std::vector<int64_t> shapeOf(const ir::Type& t) { return t.isTensor() ? t.shape : std::vector<int64_t>{}; }

/// Row-major strides of `shape`.
std::vector<int64_t> strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) s[d - 1] = s[d] * shape[d];
  return s;
}

/// Element `L` of the result of `op` (broadcast / trans) reads source element `f(L)`.
bool remap(const ir::Operation& op, const Elems& src, Elems& out) {
  std::vector<int64_t> from = shapeOf(op.operand(0)->type), to = shapeOf(op.result()->type);
  if (from.size() != to.size()) return false;
  std::vector<int64_t> perm(to.size());
  for (size_t d = 0; d < perm.size(); ++d) perm[d] = static_cast<int64_t>(d);
  if (op.name == "tt.trans") {
    const ir::Attribute* order = op.attr("order");
    if (!order || order->elems.size() != to.size()) return false;
    for (size_t d = 0; d < perm.size(); ++d) perm[d] = order->elems[d].i;
  }
  std::vector<int64_t> fs = strides(from), ts = strides(to);
  int64_t n = op.result()->type.numel();
  out.assign(static_cast<size_t>(n), 0);
  for (int64_t L = 0; L < n; ++L) {
    int64_t s = 0;
    for (size_t d = 0; d < to.size(); ++d) {
      int64_t c = (L / ts[d]) % to[d];
      size_t sd = static_cast<size_t>(perm[d]);
      if (sd >= from.size()) return false;
      s += (from[sd] == 1 ? 0 : c) * fs[sd];
    }
    out[static_cast<size_t>(L)] = src[static_cast<size_t>(s)];
  }
  return true;
}

/// Evaluates the integer and pointer values of the entry block that follow from constants.
class Evaluator {
 public:
  std::unordered_map<const ir::Value*, Elems> ints;
  std::unordered_map<const ir::Value*, PtrVal> ptrs;

  void op(const ir::Operation& o) {
    if (o.results.size() != 1 || o.result()->type.numel() > kMaxElems) return;
    const ir::Value* r = o.result();
    const ir::Type& rt = r->type.scalar();
    const std::string& n = o.name;
    if (rt.isPtr()) return pointerOp(o);
    if (!rt.isInt()) return;
    int bits = rt.kind == ir::Type::Kind::Index ? 64 : rt.bits;
    size_t numel = static_cast<size_t>(r->type.numel());
    Elems out;
    if (n == "arith.constant") {
      const ir::Attribute* a = o.attr("value");
      if (!a) return;
      if (a->kind == ir::Attribute::Kind::Dense) {
        if (a->isSplat()) out.assign(numel, wrapInt(a->elems[0].i, bits));
        else if (a->elems.size() == numel)
          for (const ir::Attribute& e : a->elems) out.push_back(wrapInt(e.i, bits));
        else return;
      } else if (a->kind == ir::Attribute::Kind::Int || a->kind == ir::Attribute::Kind::Bool) {
        out.assign(numel, wrapInt(a->i, bits));
      } else {
        return;
      }
    } else if (n == "tt.make_range") {
      for (int64_t v = o.intAttr("start"); v < o.intAttr("end"); ++v) out.push_back(v);
      if (out.size() != numel) return;
    } else if (o.operands.empty()) {
      return;
    } else if (n == "tt.splat") {
      const Elems* s = get(o.operand(0));
      if (!s || s->size() != 1) return;
      out.assign(numel, (*s)[0]);
    } else if (n == "tt.expand_dims" || (n == "tt.reshape" && !o.attr("allow_reorder"))) {
      const Elems* s = get(o.operand(0));
      if (!s) return;
      out = *s;
    } else if (n == "tt.broadcast" || n == "tt.trans") {
      const Elems* s = get(o.operand(0));
      if (!s || !remap(o, *s, out)) return;
    } else if (n == "arith.extsi" || n == "arith.trunci" || n == "arith.index_cast" ||
               n == "arith.extui" || n == "arith.index_castui" || n == "arith.bitcast") {
      const Elems* s = get(o.operand(0));
      if (!s) return;
      int from = o.operand(0)->type.scalar().bits;
      bool zext = n == "arith.extui" || n == "arith.index_castui";
      for (int64_t v : *s) out.push_back(wrapInt(zext ? static_cast<int64_t>(unsignedAt(v, from)) : v, bits));
    } else if (n == "arith.select" && o.operands.size() == 3) {
      const Elems *c = get(o.operand(0)), *a = get(o.operand(1)), *b = get(o.operand(2));
      if (!c || !a || !b || a->size() != numel || b->size() != numel) return;
      for (size_t k = 0; k < numel; ++k) out.push_back((*c)[c->size() == 1 ? 0 : k] ? (*a)[k] : (*b)[k]);
    } else if (o.operands.size() == 2) {
      const Elems *a = get(o.operand(0)), *b = get(o.operand(1));
      if (!a || !b || a->size() != numel || b->size() != numel) return;
      int ob = o.operand(0)->type.scalar().bits;
      for (size_t k = 0; k < numel; ++k) {
        int64_t v;
        if (n == "arith.cmpi") {
          bool t;
          if (!ir::evalCmpI(o.strAttr("predicate"), (*a)[k], (*b)[k], ob, t)) return;
          v = t;
        } else if (!ir::evalIntBinary(n, (*a)[k], (*b)[k], bits, v)) {
          return;
        }
        out.push_back(wrapInt(v, bits));
      }
    } else {
      return;
    }
    ints[r] = std::move(out);
  }

  /// Known integer elements of `v`, or null.
  const Elems* get(const ir::Value* v) const {
    auto it = ints.find(v);
    return it == ints.end() ? nullptr : &it->second;
  }

 private:
  void pointerOp(const ir::Operation& o) {
    const std::string& n = o.name;
    const ir::Value* r = o.result();
    if (o.operands.empty()) return;
    auto src = ptrs.find(o.operand(0));
    if (src == ptrs.end()) return;
    PtrVal out{src->second.arg, {}};
    size_t numel = static_cast<size_t>(r->type.numel());
    if (n == "tt.splat") {
      if (src->second.bytes.size() != 1) return;
      out.bytes.assign(numel, src->second.bytes[0]);
    } else if (n == "tt.expand_dims" || n == "tt.bitcast" || (n == "tt.reshape" && !o.attr("allow_reorder"))) {
      out.bytes = src->second.bytes;
    } else if (n == "tt.broadcast" || n == "tt.trans") {
      if (!remap(o, src->second.bytes, out.bytes)) return;
    } else if (n == "tt.addptr") {
      const Elems* off = get(o.operand(1));
      if (!off || off->size() != numel || src->second.bytes.size() != numel) return;
      int64_t size = elemBytes(*o.operand(0)->type.scalar().elem);
      for (size_t k = 0; k < numel; ++k) {
        if ((*off)[k] > kMaxBytes || (*off)[k] < -kMaxBytes) return;  // before multiplying: no overflow
        int64_t b = src->second.bytes[k] + (*off)[k] * size;
        if (b > kMaxBytes || b < -kMaxBytes) return;
        out.bytes.push_back(b);
      }
    } else {
      return;
    }
    if (out.bytes.size() != numel) return;
    ptrs[r] = std::move(out);
  }
};

/// The pointer operand and whether a mask operand is present, for memory accesses.
bool accessOf(const ir::Operation& o, const ir::Value*& ptr, bool& masked) {
  size_t n = o.operands.size();
  if (o.name == "tt.load") masked = n > 1;
  else if (o.name == "tt.store") masked = n > 2;
  else if (o.name == "tt.atomic_rmw") masked = n > 2;
  else if (o.name == "tt.atomic_cas") masked = false;
  else return false;
  ptr = o.operand(0);
  return true;
}

}  // namespace

std::vector<int64_t> analyzeAccessBounds(const ir::Operation& func, const Provenance& prov) {
  const ir::Block& entry = func.body();
  size_t nArgs = entry.args.size();
  std::vector<int64_t> maxByte(nArgs, -1);
  std::vector<bool> unknown(nArgs, false);
  Evaluator ev;
  for (size_t i = 0; i < nArgs; ++i)
    if (entry.arg(static_cast<int>(i))->type.isPtr())
      ev.ptrs[entry.arg(static_cast<int>(i))] = PtrVal{static_cast<int>(i), {0}};
  ir::walk(func, [&](const ir::Operation& o) {
    bool certain = o.parentBlock == &entry;
    if (certain) ev.op(o);
    const ir::Value* ptr = nullptr;
    bool masked = false;
    if (!accessOf(o, ptr, masked)) return;
    auto pi = prov.ptrs.find(ptr);
    if (pi == prov.ptrs.end() || pi->second.arg < 0 || pi->second.arg >= static_cast<int>(nArgs)) return;
    size_t arg = static_cast<size_t>(pi->second.arg);
    auto known = ev.ptrs.find(ptr);
    if (!certain || masked || known == ev.ptrs.end() || known->second.arg != static_cast<int>(arg) ||
        known->second.bytes.empty()) {
      unknown[arg] = true;
      return;
    }
    int64_t last = *std::max_element(known->second.bytes.begin(), known->second.bytes.end()) +
                   elemBytes(*ptr->type.scalar().elem) - 1;
    maxByte[arg] = std::max(maxByte[arg], last);
  });
  std::vector<int64_t> out(nArgs, -1);
  for (size_t i = 0; i < nArgs; ++i) {
    const ir::Type& t = entry.arg(static_cast<int>(i))->type;
    if (!t.isPtr() || unknown[i] || maxByte[i] < 0) continue;
    out[i] = maxByte[i] / elemBytes(*t.elem);
  }
  return out;
}

std::string printAccessBounds(const ir::Operation& func, const std::vector<int64_t>& bounds) {
  std::string out;
  const ir::Block& entry = func.body();
  for (size_t i = 0; i < entry.args.size() && i < bounds.size(); ++i) {
    if (!entry.arg(static_cast<int>(i))->type.isPtr()) continue;
    out += "arg " + std::to_string(i) + " " + valueName(entry.arg(static_cast<int>(i))) + ": " +
           (bounds[i] < 0 ? std::string("unknown") : "max index " + std::to_string(bounds[i])) + "\n";
  }
  return out;
}

}  // namespace tvk::analysis
