#include "analysis/axis_info.h"

#include <numeric>

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

bool tracked(const ir::Value* v) {
  const ir::Type& s = v->type.scalar();
  return s.isInt() || s.isPtr();
}

struct Solver {
  AxisInfoMap m;

  AxisInfo get(const ir::Value* v) {
    auto it = m.find(v);
    if (it != m.end()) return it->second;
    return uniform(v, 1);
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
        int64_t bd = b.divisibility[d];
        if (n == "tt.addptr") bd = std::min(kMaxDiv, bd * elemBytes(op.operand(0)));
        r.contiguity[d] = std::max(std::gcd(a.contiguity[d], b.constancy[d]),
                                   n == "arith.subi" ? 1 : std::gcd(a.constancy[d], b.contiguity[d]));
        r.divisibility[d] = std::gcd(a.divisibility[d], bd);
      } else if (n == "arith.muli") {
        r.contiguity[d] = 1;
        r.divisibility[d] = std::min(kMaxDiv, a.divisibility[d] * b.divisibility[d]);
      } else {
        r.contiguity[d] = 1;
        r.divisibility[d] = 1;
      }
    }
    return r;
  }

  void step(const ir::Operation& op) {
    if (op.results.size() != 1 || !tracked(op.result())) return;
    const ir::Value* res = op.result();
    const std::string& n = op.name;
    AxisInfo r = uniform(res, 1);
    if (n == "arith.constant") {
      const ir::Attribute* v = op.attr("value");
      if (v && v->kind == ir::Attribute::Kind::Dense && v->isSplat()) v = &v->elems[0];
      if (v && v->kind == ir::Attribute::Kind::Int) r = uniform(res, pow2Div(v->i));
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
      r.divisibility.insert(r.divisibility.begin() + ax, a.divisibility.empty() ? 1 : a.divisibility[0]);
      r.constancy.insert(r.constancy.begin() + ax, 1);
    } else if (n == "tt.broadcast") {
      AxisInfo a = get(op.operand(0));
      r = a;
      const std::vector<int64_t>& ss = op.operand(0)->type.shape;
      for (size_t d = 0; d < ss.size(); ++d)
        if (ss[d] == 1 && res->type.shape[d] != 1) r.constancy[d] = res->type.shape[d];
    } else if (n == "arith.addi" || n == "arith.subi" || n == "arith.muli" || n == "tt.addptr") {
      r = binary(op);
    }
    m[res] = r;
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
  ir::walk(func, [&](const ir::Operation& op) { s.step(op); });
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
