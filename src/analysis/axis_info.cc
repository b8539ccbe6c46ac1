#include "analysis/axis_info.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "analysis/remat.h"
#include "analysis/values.h"
#include "ir/walk.h"

namespace tvk::analysis {

namespace {

constexpr int64_t kMaxDiv = int64_t{1} << 30;

int64_t pow2Div(int64_t v) {
  if (v == 0) return kMaxDiv;
  int64_t d = 1;
  while ((v & d) == 0 && d < kMaxDiv) d <<= 1;
  return d;
}

std::vector<int64_t> shapeOf(const ir::Value* v) {
  return v->type.isTensor() ? v->type.shape : std::vector<int64_t>{1};
}

AxisInfo uniform(const ir::Value* v, int64_t div) {
  std::vector<int64_t> s = shapeOf(v);
  return AxisInfo{std::vector<int64_t>(s.size(), 1), std::vector<int64_t>(s.size(), div), s};
}

// Nothing known: runs of 1, divisible by 1 (a scalar is still constant).
AxisInfo unknown(const ir::Value* v) {
  std::vector<int64_t> s = shapeOf(v);
  return AxisInfo{std::vector<int64_t>(s.size(), 1), std::vector<int64_t>(s.size(), 1),
                  v->type.isTensor() ? std::vector<int64_t>(s.size(), 1) : s};
}

// The divisibility of every element along `d`: a run's first value is divisible by
// `divisibility`, the values after it (x0 + 1, ...) by nothing more than 1.
int64_t elemDiv(const AxisInfo& a, size_t d) { return a.contiguity[d] == 1 ? a.divisibility[d] : 1; }

// What the first elements of runs of `run` (a divisor of a's contiguity, or 1) are divisible
// by: a's own divisor where the runs stay a's, else x0 + k run for a run start x0, so the gcd
// of both (1 for single elements of runs: elemDiv).
int64_t runDiv(const AxisInfo& a, size_t d, int64_t run) {
  if (a.contiguity[d] == 1 || a.contiguity[d] == run) return a.divisibility[d];
  return std::gcd(a.divisibility[d], run);
}

// What holds for both `a` and `b` (a value that is one or the other): runs of the gcd of both
// contiguities (powers of two, or aligned runs), whose first elements are divisible by what
// divides the first elements of such runs in both (not by a's divisor when a's runs split:
// a run of a range 0, 1, 2, ... meeting runs of 1 leaves elements 1, 2, ... not divisible by
// anything).
AxisInfo meet(const AxisInfo& a, const AxisInfo& b) {
  AxisInfo r = a;
  for (size_t d = 0; d < a.contiguity.size() && d < b.contiguity.size(); ++d) {
    r.contiguity[d] = std::gcd(a.contiguity[d], b.contiguity[d]);
    r.divisibility[d] = std::gcd(runDiv(a, d, r.contiguity[d]), runDiv(b, d, r.contiguity[d]));
    r.constancy[d] = std::gcd(a.constancy[d], b.constancy[d]);
  }
  return r;
}

bool sameInfo(const AxisInfo& a, const AxisInfo& b) {
  return a.contiguity == b.contiguity && a.divisibility == b.divisibility && a.constancy == b.constancy;
}

bool tracked(const ir::Value* v) {
  const ir::Type& s = v->type.scalar();
  return s.isInt() || s.isPtr();
}

struct Solver {
  AxisInfoMap m;
  // Integer values known >= 0 in every element: program ids, ranges from >= 0, non-negative
  // constants, and what sums, products, quotients, remainders, minima and maxima of those give
  // without wrapping around. Arguments and differences are not: `(pid * B - pad + arange) % K`
  // has negative blocks; nor is a quotient by a constant <= 0 (`o // -4`), nor
  // `(o // 16) * 0x40000000`, which wraps. The remainder and quotient rules need their
  // dividend here (Triton's own rules ignore signs altogether), and equal slots
  // (analysis/vector_width.h) compute a value once per run on their strength.
  //
  // Wrap-around: each value has the bound `hi0` it takes where every program id is 0 (exact
  // for values without a program id in them), and `grid` when a program id (or a loop counter
  // with an unknown bound, taken from its first value) is in it. Index arithmetic on those is
  // assumed not to wrap (a grid whose offsets pass 2^31 - 1 in
  // int32 wraps the kernel's own addresses first), so a value with one must keep hi0 within
  // half its range (`(pid * B + arange + 2147482624) // 16` does not), one without within its
  // range. Quotients by a divisor that is not a constant are taken as quotients by a positive
  // count or size (`pid_m // group_size_m` of a grouped tile ordering, `pid // cdiv(N, BN)`).
  struct Bound {
    int64_t hi0 = 0;
    bool grid = false;
  };
  std::map<const ir::Value*, Bound> nonNeg;

  bool isNonNeg(const ir::Value* v) const { return nonNeg.count(v) > 0; }

  static int64_t typeMax(const ir::Value* v) {
    const int bits = v->type.scalar().isInt() ? v->type.scalar().bits : 64;
    return bits >= 64 ? INT64_MAX : bits <= 1 ? 1 : (int64_t{1} << (bits - 1)) - 1;
  }
  static int64_t satAdd(int64_t a, int64_t b) { return a > INT64_MAX - b ? INT64_MAX : a + b; }
  static int64_t satMul(int64_t a, int64_t b) {
    return a != 0 && b > INT64_MAX / a ? INT64_MAX : a * b;
  }
  // The integer constant (splat) that defines v, if any.
  static const ir::Attribute* intConstant(const ir::Value* v) {
    if (!v->def || v->def->name != "arith.constant") return nullptr;
    const ir::Attribute* a = ir::constantValue(*v->def);
    return a && a->kind == ir::Attribute::Kind::Int ? a : nullptr;
  }

  void markNonNeg(const ir::Operation& op) {
    const std::string& n = op.name;
    if (op.results.size() != 1) return;
    const ir::Value* res = op.result();
    auto operandsNonNeg = [&](size_t k) {
      for (size_t i = 0; i < k && i < op.operands.size(); ++i)
        if (!isNonNeg(op.operand(static_cast<int>(i)))) return false;
      return op.operands.size() >= k;
    };
    auto at = [&](int i) { return nonNeg.at(op.operand(i)); };
    std::optional<Bound> r;
    if (n == "tt.make_range") {
      if (op.intAttr("start") >= 0) r = Bound{op.intAttr("end") - 1, false};
    } else if (n == "tt.get_program_id" || n == "tt.get_num_programs") {
      r = Bound{n == "tt.get_num_programs" ? 1 : 0, true};
    } else if (n == "arith.extui") {  // below 2^width of the operand
      const int bits = op.operand(0)->type.scalar().bits;
      r = isNonNeg(op.operand(0)) ? at(0) : Bound{bits < 63 ? (int64_t{1} << bits) - 1 : INT64_MAX, false};
    } else if (n == "arith.constant") {
      const ir::Attribute* v = intConstant(res);
      if (v && v->i >= 0) r = Bound{v->i, false};
    } else if (n == "tt.splat" || n == "tt.broadcast" || n == "tt.expand_dims" || n == "tt.trans" ||
               n == "tt.reshape" || n == "arith.extsi") {
      if (operandsNonNeg(1)) r = at(0);
    } else if (n == "arith.remsi") {
      // srem takes the dividend's sign; below a non-negative divisor.
      if (operandsNonNeg(1)) {
        r = at(0);
        if (isNonNeg(op.operand(1)) && !at(1).grid && at(1).hi0 >= 1) {
          const int64_t d = at(1).hi0 - 1;
          r = Bound{r->grid ? d : std::min(r->hi0, d), false};
        }
      }
    } else if (n == "arith.divsi") {
      const ir::Attribute* d = intConstant(op.operand(1));
      if (isNonNeg(op.operand(0)) && (!d || d->i >= 1)) r = at(0);
    } else if (n == "arith.addi") {
      if (operandsNonNeg(2)) r = Bound{satAdd(at(0).hi0, at(1).hi0), at(0).grid || at(1).grid};
    } else if (n == "arith.muli") {
      if (operandsNonNeg(2)) r = Bound{satMul(at(0).hi0, at(1).hi0), at(0).grid || at(1).grid};
    } else if (n == "arith.minsi") {
      if (operandsNonNeg(2)) {
        const Bound a = at(0), b = at(1);
        if (!a.grid && !b.grid) r = Bound{std::min(a.hi0, b.hi0), false};
        else if (!a.grid || !b.grid) r = a.grid ? b : a;  // at most the one without
        else r = Bound{std::max(a.hi0, b.hi0), true};
      }
    } else if (n == "arith.maxsi") {
      if (operandsNonNeg(2)) r = Bound{std::max(at(0).hi0, at(1).hi0), at(0).grid || at(1).grid};
      else if (isNonNeg(op.operand(0)) || isNonNeg(op.operand(1))) r = Bound{typeMax(res), false};
    } else if (n == "arith.select") {
      if (op.operands.size() == 3 && isNonNeg(op.operand(1)) && isNonNeg(op.operand(2)))
        r = Bound{std::max(at(1).hi0, at(2).hi0), at(1).grid || at(2).grid};
    }
    if (r && r->hi0 > (r->grid ? typeMax(res) / 2 : typeMax(res))) r.reset();  // may wrap
    if (r) nonNeg[res] = *r;
    else nonNeg.erase(res);
  }

  AxisInfo get(const ir::Value* v) {
    auto it = m.find(v);
    if (it != m.end()) return it->second;
    return unknown(v);
  }

  static int64_t elemBytes(const ir::Value* v) {
    const ir::Type& s = v->type.scalar();
    return s.isPtr() ? std::max(1, (s.elem->bits + 7) / 8) : 1;
  }

  AxisInfo binary(const ir::Operation& op) {
    AxisInfo a = get(op.operand(0)), b = get(op.operand(1));
    AxisInfo r = a;
    const std::string& n = op.name;
    for (size_t d = 0; d < a.contiguity.size(); ++d) {
      int64_t cst = std::gcd(a.constancy[d], b.constancy[d]);
      r.constancy[d] = cst;
      if (n == "arith.addi" || n == "arith.subi" || n == "tt.addptr") {
        r.contiguity[d] = std::max(std::gcd(a.contiguity[d], b.constancy[d]),
                                   n == "arith.subi" ? 1 : std::gcd(a.constancy[d], b.contiguity[d]));
        // The first elements of the result's runs: in each operand, the starts of runs of that
        // length (runDiv; a pointer's run of k elements spans k element sizes).
        const int64_t run = r.contiguity[d], eb = n == "tt.addptr" ? elemBytes(op.operand(0)) : 1;
        const int64_t ad = a.contiguity[d] == 1 || a.contiguity[d] == run
                               ? a.divisibility[d] : std::gcd(a.divisibility[d], std::min(kMaxDiv, run * eb));
        const int64_t bd = std::min(kMaxDiv, runDiv(b, d, run) * eb);
        r.divisibility[d] = std::gcd(ad, bd);
        if (r.contiguity[d] == 1) {  // no runs left: what every element is divisible by
          int64_t be = elemDiv(b, d);
          if (n == "tt.addptr") be = std::min(kMaxDiv, be * elemBytes(op.operand(0)));
          r.divisibility[d] = std::gcd(elemDiv(a, d), be);
        }
      } else if (n == "arith.muli") {
        r.contiguity[d] = 1;
        r.divisibility[d] = std::min(kMaxDiv, elemDiv(a, d) * elemDiv(b, d));
      } else {
        r.contiguity[d] = 1;
        r.divisibility[d] = 1;
      }
    }
    return r;
  }

  // An element-wise op of unknown arithmetic (arith.divsi, arith.shrui, tt.bitcast, ...): its
  // result is equal where all its operands are, nothing more. Values that are not tracked
  // (floats) count as unknown, runs of 1.
  AxisInfo elementwise(const ir::Operation& op) {
    const ir::Value* res = op.result();
    AxisInfo r = unknown(res);
    if (!res->type.isTensor()) return r;
    bool any = false;
    for (const ir::Value* v : op.operands) {
      if (!v->type.isTensor()) continue;  // a scalar operand is one value for every element
      if (v->type.shape != res->type.shape) return r;
      const AxisInfo a = get(v);
      for (size_t d = 0; d < r.constancy.size(); ++d)
        r.constancy[d] = any ? std::gcd(r.constancy[d], a.constancy[d]) : a.constancy[d];
      any = true;
    }
    return r;
  }

  // Element-wise for the constancy rule: what rematerialization calls element-wise (remat.h),
  // and the pointer casts and extern calls it does not rematerialize.
  static bool isElementwise(const std::string& n) {
    return isElementwiseOp(n) || n == "tt.int_to_ptr" || n == "tt.ptr_to_int" || n == "tt.extern_elementwise";
  }

  void step(const ir::Operation& op) {
    if (op.results.size() != 1 || !tracked(op.result())) return;
    const ir::Value* res = op.result();
    const std::string& n = op.name;
    // Ops not named below (loads, reshapes, reductions, gathers, atomics, scf.if results...):
    // nothing is known. Not "uniform": a tensor loaded from memory is not constant, and a mask
    // taken for constant would drive one lane's decision for a whole vector.
    AxisInfo r = unknown(res);
    if (isElementwise(n)) r = elementwise(op);
    if (n == "arith.constant") {
      const ir::Attribute* v = ir::constantValue(op);
      if (v && v->kind == ir::Attribute::Kind::Int) r = uniform(res, pow2Div(v->i));
      else if (v && v->kind != ir::Attribute::Kind::Dense) r = uniform(res, 1);  // a splat of another kind
    } else if (n == "tt.make_range") {
      int64_t start = op.intAttr("start"), end = op.intAttr("end");
      r = AxisInfo{{end - start}, {pow2Div(start)}, {1}};
    } else if (n == "tt.splat") {
      r = uniform(res, get(op.operand(0)).divisibility[0]);
    } else if (n == "tt.expand_dims") {
      AxisInfo a = get(op.operand(0));
      size_t ax = static_cast<size_t>(op.intAttr("axis"));
      r = a;
      r.contiguity.insert(r.contiguity.begin() + ax, 1);
      // Every element of the new dimension is one element of the operand: divisible by what
      // divides every element, i.e. no more than a dimension's divisor where its elements run
      // consecutively (the divisor holds only for each run's first), as Triton's rule.
      int64_t each = 0;
      for (size_t d = 0; d < a.divisibility.size(); ++d) {
        const int64_t dv = a.contiguity[d] > 1 ? 1 : a.divisibility[d];
        each = each == 0 ? dv : std::min(each, dv);
      }
      r.divisibility.insert(r.divisibility.begin() + ax, each == 0 ? 1 : each);
      r.constancy.insert(r.constancy.begin() + ax, 1);
    } else if (n == "tt.trans") {
      // Result dimension i is the operand's dimension order[i].
      const AxisInfo a = get(op.operand(0));
      const ir::Attribute* ord = op.attr("order");
      if (ord && ord->elems.size() == r.constancy.size() && a.constancy.size() == r.constancy.size())
        for (size_t i = 0; i < r.constancy.size(); ++i) {
          const size_t from = static_cast<size_t>(ord->elems[i].i);
          if (from >= a.constancy.size()) return;
          r.contiguity[i] = a.contiguity[from];
          r.divisibility[i] = a.divisibility[from];
          r.constancy[i] = a.constancy[from];
        }
    } else if (n == "tt.broadcast") {
      AxisInfo a = get(op.operand(0));
      r = a;
      const std::vector<int64_t>& ss = op.operand(0)->type.shape;
      for (size_t d = 0; d < ss.size(); ++d)
        if (ss[d] == 1 && res->type.shape[d] != 1) r.constancy[d] = res->type.shape[d];
    } else if (n == "arith.addi" || n == "arith.subi" || n == "arith.muli" || n == "tt.addptr") {
      r = binary(op);
    } else if (n == "arith.extsi" || n == "arith.extui") {
      // Widening keeps every value, so runs and divisors stay.
      r = get(op.operand(0));
    } else if (n == "arith.cmpi") {
      r = compare(op);
    } else if (n == "arith.remsi" || n == "arith.remui") {
      r = remainder(op);
    } else if (n == "arith.divsi" || n == "arith.divui") {
      r = quotient(op);
    } else if (n == "arith.andi" || n == "arith.ori" || n == "arith.xori") {
      r = unknown(res);
      AxisInfo a = get(op.operand(0)), b = get(op.operand(1));
      for (size_t d = 0; d < r.constancy.size(); ++d) r.constancy[d] = std::gcd(a.constancy[d], b.constancy[d]);
    } else if (n == "arith.select" && op.operand(0)->type.isTensor() == res->type.isTensor()) {
      // Equal where the condition and both choices are.
      AxisInfo c = get(op.operand(0)), a = get(op.operand(1)), b = get(op.operand(2));
      r = unknown(res);
      for (size_t d = 0; d < r.constancy.size(); ++d) {
        r.constancy[d] = std::gcd(c.constancy[d], std::gcd(a.constancy[d], b.constancy[d]));
        // No runs: what divides every element of either choice.
        r.divisibility[d] = std::gcd(elemDiv(a, d), elemDiv(b, d));
      }
    }
    applyHints(op, r);
    m[res] = r;
    markNonNeg(op);
  }

  // tl.multiple_of / tl.max_contiguous / tl.max_constancy: the attributes tt.divisibility,
  // tt.contiguity and tt.constancy on the op that defines the value (`dense<16> :
  // tensor<1xi32>`, one value per dimension or one for all) replace what the analysis found,
  // as in Triton's AxisInfo: they are the user's assertions.
  static void applyHints(const ir::Operation& op, AxisInfo& r) {
    auto hint = [&](const char* name, std::vector<int64_t>& dims) {
      const ir::Attribute* a = op.attr(name);
      if (!a) return;
      std::vector<int64_t> vals;
      if (a->kind == ir::Attribute::Kind::Int) vals.push_back(a->i);
      if (a->kind == ir::Attribute::Kind::Dense)
        for (const ir::Attribute& e : a->elems)
          if (e.kind == ir::Attribute::Kind::Int) vals.push_back(e.i);
      if (vals.size() != 1 && vals.size() != dims.size()) return;
      for (size_t d = 0; d < dims.size(); ++d) {
        const int64_t v = vals.size() == 1 ? vals[0] : vals[d];
        if (v > 0) dims[d] = v;
      }
    };
    hint("tt.divisibility", r.divisibility);
    hint("tt.contiguity", r.contiguity);
    hint("tt.constancy", r.constancy);
  }

  // arith.cmpi: equal over runs where both sides are (gcd of the constancies), and, for
  // `x < R` or `x >= R` of a run x of consecutive values against a bound R constant over the
  // run, over aligned blocks of g = gcd(contiguity, both divisibilities): the block's first
  // value and R are multiples of g, so the whole block lies on one side of R. (Not for
  // `x <= R` or `x > R`: the block starting at R splits.)
  AxisInfo compare(const ir::Operation& op) {
    const ir::Value* res = op.result();
    AxisInfo a = get(op.operand(0)), b = get(op.operand(1));
    AxisInfo r = unknown(res);
    const std::string pred = op.strAttr("predicate");
    // Which side may be the run: the left one for x < R / x >= R, the right one for R > x /
    // R <= x.
    const bool runLeft = pred == "slt" || pred == "ult" || pred == "sge" || pred == "uge";
    const bool runRight = pred == "sgt" || pred == "ugt" || pred == "sle" || pred == "ule";
    for (size_t d = 0; d < r.constancy.size(); ++d) {
      int64_t cst = std::gcd(a.constancy[d], b.constancy[d]);
      int64_t dv = std::gcd(a.divisibility[d], b.divisibility[d]);
      if (runLeft && b.constancy[d] % a.contiguity[d] == 0)
        cst = std::max(cst, std::gcd(a.contiguity[d], dv));
      if (runRight && a.constancy[d] % b.contiguity[d] == 0)
        cst = std::max(cst, std::gcd(b.contiguity[d], dv));
      r.constancy[d] = cst;
    }
    return r;
  }

  // x % R with R constant over x's runs: within aligned blocks of g = gcd(contiguity, both
  // divisibilities) the block's first value x0 and R are multiples of g, so x0 % R is a
  // multiple of g at most R - g and x0 % R + i (i < g) stays below R: still consecutive, for
  // urem and for srem of a dividend known non-negative.
  AxisInfo remainder(const ir::Operation& op) {
    AxisInfo a = get(op.operand(0)), b = get(op.operand(1));
    AxisInfo r = unknown(op.result());
    for (size_t d = 0; d < r.constancy.size(); ++d) {
      r.constancy[d] = std::gcd(a.constancy[d], b.constancy[d]);
      const int64_t dv = std::gcd(a.divisibility[d], elemDiv(b, d));
      if (a.contiguity[d] == 1) {
        r.divisibility[d] = dv;  // every element: x and R divisible by it, so is x % R
      } else if (b.constancy[d] % a.contiguity[d] == 0 &&
                 (op.name == "arith.remui" || isNonNeg(op.operand(0)))) {
        // (srem of a negative block is not consecutive: -16 .. -1 mod 16 is 0, -15, .., -1.)
        r.contiguity[d] = std::gcd(a.contiguity[d], dv);
        r.divisibility[d] = r.contiguity[d];  // the starts of the shorter runs
      }
    }
    return r;
  }

  // x / R with R constant over x's runs: within the aligned blocks of g = gcd(contiguity, both
  // divisibilities) no multiple of R lies after the block's first value x0 (a multiple of g),
  // so the quotient is constant over the block, for udiv and for sdiv of a dividend taken as
  // non-negative (sdiv truncates: -16 .. -1 by 16 is -1, 0, .., 0). Else equal where both
  // operands are.
  AxisInfo quotient(const ir::Operation& op) {
    AxisInfo r = elementwise(op);
    if (!op.result()->type.isTensor()) return r;
    AxisInfo a = get(op.operand(0)), b = get(op.operand(1));
    if (op.name != "arith.divui" && !isNonNeg(op.operand(0))) return r;
    for (size_t d = 0; d < r.constancy.size(); ++d)
      if (a.contiguity[d] > 1 && b.constancy[d] % a.contiguity[d] == 0)
        r.constancy[d] = std::max(r.constancy[d], std::gcd(a.contiguity[d], std::gcd(a.divisibility[d], elemDiv(b, d))));
    return r;
  }

  // Ops in order, nested regions included; scf.for iterates its body to a fixed point of the
  // iter_args' info (the meet of the initial and the yielded values).
  void visit(const ir::Operation& op) {
    step(op);
    if (op.name == "scf.for" && !op.regions.empty() && !op.regions[0]->blocks.empty() &&
        op.numOperands() >= 3) {
      forLoop(op);
      return;
    }
    for (const auto& region : op.regions)
      for (const auto& block : region->blocks)
        for (const auto& inner : block->ops) visit(*inner);
  }

  void forLoop(const ir::Operation& op) {
    const ir::Block& body = op.body();
    const ir::Operation* yield = body.terminator();
    // The induction variable: lb + i * step.
    if (!body.args.empty() && tracked(body.arg(0))) {
      AxisInfo iv = unknown(body.arg(0));
      iv.divisibility[0] = std::gcd(get(op.operand(0)).divisibility[0], get(op.operand(2)).divisibility[0]);
      m[body.arg(0)] = iv;
      // lb + i * step: below ub's bound where that is known without program ids, else a
      // counter like a program id (index arithmetic on it is assumed not to wrap).
      if (isNonNeg(op.operand(0)) && isNonNeg(op.operand(2))) {
        const bool bounded = isNonNeg(op.operand(1)) && !nonNeg.at(op.operand(1)).grid;
        nonNeg[body.arg(0)] = bounded ? nonNeg.at(op.operand(1)) : Bound{nonNeg.at(op.operand(0)).hi0, true};
      }
    }
    const size_t n = body.args.size() > 0 ? body.args.size() - 1 : 0;
    for (size_t j = 0; j < n && 3 + j < op.operands.size(); ++j)
      if (tracked(body.arg(static_cast<int>(j + 1)))) m[body.arg(static_cast<int>(j + 1))] = get(op.operand(static_cast<int>(3 + j)));
    bool stable = false;
    for (int pass = 0; pass < 4 && !stable; ++pass) {
      for (const auto& inner : body.ops) visit(*inner);
      stable = true;
      for (size_t j = 0; j < n && yield && j < yield->operands.size(); ++j) {
        const ir::Value* arg = body.arg(static_cast<int>(j + 1));
        if (!tracked(arg)) continue;
        AxisInfo next = meet(get(op.operand(static_cast<int>(3 + j))), get(yield->operand(static_cast<int>(j))));
        if (!sameInfo(next, m[arg])) stable = false;
        m[arg] = next;
      }
    }
    if (!stable) {  // no fixed point: nothing is known about the carried values
      for (size_t j = 0; j < n; ++j)
        if (tracked(body.arg(static_cast<int>(j + 1)))) m[body.arg(static_cast<int>(j + 1))] = unknown(body.arg(static_cast<int>(j + 1)));
      for (const auto& inner : body.ops) visit(*inner);
    }
    for (size_t j = 0; j < n && j < op.results.size(); ++j)
      if (tracked(op.result(static_cast<int>(j)))) m[op.result(static_cast<int>(j))] = m[body.arg(static_cast<int>(j + 1))];
  }
};

std::string list(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

}  // namespace

AxisInfoMap analyzeAxisInfo(const ir::Operation& func) {
  Solver s;
  const ir::Block& entry = func.body();
  for (size_t i = 0; i < entry.args.size(); ++i) {
    const ir::Value* a = entry.arg(static_cast<int>(i));
    if (!tracked(a)) continue;
    int64_t div = 1;
    if (i < func.argAttrs.size()) {
      auto it = func.argAttrs[i].find("tt.divisibility");
      if (it != func.argAttrs[i].end()) div = it->second.i;
    }
    s.m[a] = uniform(a, div);
  }
  for (const auto& region : func.regions)
    for (const auto& block : region->blocks)
      for (const auto& op : block->ops) s.visit(*op);
  return s.m;
}

std::string printAxisInfo(const ir::Operation& func, const AxisInfoMap& info) {
  std::string out;
  forEachValue(func, [&](const ir::Value* v) {
    auto it = info.find(v);
    if (it == info.end()) return;
    out += valueName(v) + ": contiguity=" + list(it->second.contiguity) +
           " divisibility=" + list(it->second.divisibility) +
           " constancy=" + list(it->second.constancy) + "\n";
  });
  return out;
}

}  // namespace tvk::analysis
