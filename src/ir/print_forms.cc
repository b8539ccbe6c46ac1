// Custom op forms of the TTIR printer: one function per ir::Form (mirrors parser/forms.cc).
#include <map>

#include "ir/printer_impl.h"

namespace tvk::ir {
namespace {

/// Arguments of a form printer.
struct PCtx {
  Printer& p;              ///< the printer
  const Operation& o;      ///< op being printed
  const OpSyntax& syn;     ///< its registry entry
  int indent;              ///< indentation of the op
  std::string& out;        ///< output text
};

/// `, k = v` for the registry's named keywords that are present, and their names.
std::string namedKws(PCtx& c, std::set<std::string>& skip) {
  std::string s;
  for (const std::string& k : c.syn.namedKeywords) {
    skip.insert(k);
    if (const Attribute* a = c.o.attr(k)) s += ", " + k + " = " + a->str();
  }
  return s;
}

/// The first result's type (`none` for ops without results: callers check the count first).
const Type& resultType(const Operation& o) {
  static const Type kNone;
  return o.results.empty() ? kNone : o.results[0]->type;
}

bool sameType(PCtx& c) {
  if (c.o.results.size() != 1) return false;
  std::set<std::string> skip{"fastmath", "overflowFlags"};
  c.out += c.o.name + " " + c.p.refs(c.o);
  c.out += namedKws(c, skip);
  for (const char* f : {"fastmath", "overflowFlags"}) {
    const Attribute* a = c.o.attr(f);
    if (!a || a->s.size() < 2 || a->s.find("<none>") != std::string::npos) continue;
    size_t lt = a->s.find('<');
    c.out += std::string(" ") + (f[0] == 'f' ? "fastmath" : "overflow") + a->s.substr(lt);
  }
  c.out += c.p.attrDict(c.o, skip) + " : " + resultType(c.o).str();
  return true;
}

bool cmp(PCtx& c) {
  const Attribute* pred = c.o.attr("predicate");
  if (!pred || pred->kind != Attribute::Kind::Keyword || c.o.operands.size() != 2) return false;
  c.out += c.o.name + " " + pred->s + ", " + c.p.refs(c.o) + c.p.attrDict(c.o, {"predicate"}) +
           " : " + c.o.operands[0]->type.str();
  return true;
}

bool select(PCtx& c) {
  if (c.o.operands.size() != 3 || c.o.results.size() != 1) return false;
  c.out += c.o.name + " " + c.p.refs(c.o) + c.p.attrDict(c.o) + " : ";
  if (c.o.operands[0]->type.isTensor()) c.out += c.o.operands[0]->type.str() + ", ";
  c.out += resultType(c.o).str();
  return true;
}

bool addptr(PCtx& c) {
  if (c.o.operands.size() != 2 || c.o.results.size() != 1) return false;
  c.out += c.o.name + " " + c.p.refs(c.o) + c.p.attrDict(c.o) + " : " +
           Printer::types(c.o.operands);
  return true;
}

bool cast(PCtx& c) {
  if (c.o.operands.size() != 1 || c.o.results.size() != 1) return false;
  c.out += c.o.name + " " + c.p.refs(c.o) + c.p.attrDict(c.o) + " : " +
           c.o.operands[0]->type.str() + " to " + resultType(c.o).str();
  return true;
}

bool arrow(PCtx& c) {
  if (c.o.operands.empty() || c.o.results.empty()) return false;
  std::set<std::string> skip;
  c.out += c.o.name + " " + c.p.refs(c.o);
  c.out += namedKws(c, skip);
  for (const std::string& k : c.syn.unitKeywords) {
    skip.insert(k);
    if (c.o.attr(k)) c.out += " " + k;
  }
  c.out += c.p.attrDict(c.o, skip) + " : " + c.o.operands[0]->type.str() + " -> " +
           resultType(c.o).str();
  return true;
}

bool unsplat(PCtx& c) {
  if (c.o.operands.size() != 1 || c.o.results.size() != 1) return false;
  c.out += c.o.name + " " + c.p.refs(c.o) + c.p.attrDict(c.o) + " : " + c.o.operands[0]->type.str();
  return true;
}

bool constant(PCtx& c) {
  const Attribute* v = c.o.attr("value");
  if (!v || c.o.results.size() != 1) return false;
  c.out += c.o.name + c.p.attrDict(c.o, {"value"}) + " " + v->str();
  return true;
}

bool typeOnly(PCtx& c) {
  if (c.o.results.size() != 1 || !c.o.operands.empty()) return false;
  c.out += c.o.name + c.p.attrDict(c.o) + " : " + resultType(c.o).str();
  return true;
}

bool axis(PCtx& c) {
  int64_t a = c.o.intAttr("axis", -1);
  if (a < 0 || a > 2 || c.o.results.size() != 1) return false;
  c.out += c.o.name + " " + std::string(1, static_cast<char>('x' + a)) +
           c.p.attrDict(c.o, {"axis"}) + " : " + resultType(c.o).str();
  return true;
}

bool loadStore(PCtx& c) {
  if (c.o.operands.empty()) return false;
  c.out += c.o.name + " " + c.p.refs(c.o);
  if (const Attribute* a = c.o.attr("cache")) c.out += " cacheModifier = " + a->str();
  if (const Attribute* a = c.o.attr("evict")) c.out += " evictionPolicy = " + a->str();
  c.out += c.p.attrDict(c.o, {"cache", "evict"}) + " : " + c.o.operands[0]->type.str();
  return true;
}

bool kwFunctional(PCtx& c) {
  std::set<std::string> skip;
  std::string kws;
  for (const std::string& k : c.syn.keywords) {
    const Attribute* a = c.o.attr(k);
    if (!a) return false;
    kws += a->str() + ", ";
    skip.insert(k);
  }
  c.out += c.o.name + " " + kws + c.p.refs(c.o) + c.p.attrDict(c.o, skip) + " : " +
           Printer::functionalType(c.o);
  return true;
}

bool dot(PCtx& c) {
  if (c.o.operands.size() != 3 || c.o.results.size() != 1) return false;
  std::set<std::string> skip;
  c.out += c.o.name + " " + c.p.refs(c.o);
  c.out += namedKws(c, skip);
  c.out += c.p.attrDict(c.o, skip) + " : " +
           c.o.operands[0]->type.str() + " * " + c.o.operands[1]->type.str() + " -> " +
           resultType(c.o).str();
  return true;
}

/// Scale operand positions of a tt.dot_scaled ([a, b, c, as?, bs?]), -1 when absent; false
/// when `operandSegmentSizes` does not describe the operands.
bool dotScaledScales(const Operation& o, int& as, int& bs) {
  const Attribute* seg = o.attr("operandSegmentSizes");
  if (!seg || seg->elems.size() != 5) return false;
  for (int k = 0; k < 3; ++k)
    if (seg->elems[k].i != 1) return false;
  int64_t na = seg->elems[3].i, nb = seg->elems[4].i;
  if (na < 0 || na > 1 || nb < 0 || nb > 1 || 3 + na + nb != static_cast<int64_t>(o.operands.size())) return false;
  as = na ? 3 : -1;
  bs = nb ? 3 + static_cast<int>(na) : -1;
  return true;
}

bool dotScaled(PCtx& c) {
  int as, bs;
  const Attribute* lhs = c.o.attr("a_elem_type");
  const Attribute* rhs = c.o.attr("b_elem_type");
  if (!dotScaledScales(c.o, as, bs) || !lhs || !rhs || c.o.results.size() != 1) return false;
  auto ref = [&](int i) { return c.p.ref(c.o.operands[static_cast<size_t>(i)]); };
  auto ty = [&](int i) { return c.o.operands[static_cast<size_t>(i)]->type.str(); };
  c.out += c.o.name + " " + ref(0) + (as >= 0 ? " scale " + ref(as) : "") + ", " + ref(1) +
           (bs >= 0 ? " scale " + ref(bs) : "") + ", " + ref(2) + " lhs = " + lhs->s + " rhs = " + rhs->s +
           c.p.attrDict(c.o, {"operandSegmentSizes", "a_elem_type", "b_elem_type"}) + " : " + ty(0) +
           (as >= 0 ? ", " + ty(as) : "") + " * " + ty(1) + (bs >= 0 ? ", " + ty(bs) : "") + " -> " +
           resultType(c.o).str();
  return true;
}

bool call(PCtx& c) {
  const Attribute* callee = c.o.attr("callee");
  if (!callee || callee->kind != Attribute::Kind::String) return false;
  c.out += c.o.name + " " + Printer::symbol(callee->s) + "(" + c.p.refs(c.o) + ")" +
           c.p.attrDict(c.o, {"callee"}) + " : " + Printer::functionalType(c.o);
  return true;
}

bool operandsTypes(PCtx& c) {
  c.out += c.o.name;
  if (!c.o.operands.empty()) c.out += " " + c.p.refs(c.o);
  c.out += c.p.attrDict(c.o);
  if (!c.o.operands.empty()) c.out += " : " + Printer::types(c.o.operands);
  return true;
}

bool condition(PCtx& c) {
  if (c.o.operands.empty()) return false;
  c.out += c.o.name + "(" + c.p.ref(c.o.operands[0]) + ")";
  if (c.o.operands.size() > 1)
    c.out += " " + c.p.refs(c.o, 1, c.o.operands.size()) + " : " + Printer::types(c.o.operands, 1);
  c.out += c.p.attrDict(c.o);
  return true;
}

/// Opens a region's name scope, prints it, closes it.
void scopedRegion(PCtx& c, const Region& r, bool entryArgs, bool terminators) {
  c.p.region(r, c.indent, entryArgs, terminators);
}

bool funcForm(PCtx& c) {
  if (c.o.regions.size() > 1) return false;
  c.out += c.o.name;
  std::string vis = c.o.strAttr("sym_visibility");
  if (!vis.empty()) c.out += " " + vis;
  c.out += " " + Printer::symbol(c.o.strAttr("sym_name")) + "(";
  c.p.scopes.emplace_back();
  if (!c.o.regions.empty() && !c.o.regions[0]->blocks.empty()) {
    const Block& b = *c.o.regions[0]->blocks[0];
    for (size_t i = 0; i < b.args.size(); ++i) {
      const Value* a = b.args[i].get();
      c.out += (i ? ", " : "") + c.p.define(a) + ": " + a->type.str();
      if (i < c.o.argAttrs.size() && !c.o.argAttrs[i].empty()) {
        Operation tmp;
        tmp.attrs = c.o.argAttrs[i];
        c.out += c.p.attrDict(tmp);
      }
      c.out += c.p.loc(a->loc);
    }
  }
  c.out += ")";
  if (!c.o.resultTypes.empty()) c.out += " -> " + Printer::typeList(c.o.resultTypes);
  c.out += c.p.attrDict(c.o, {"sym_name", "sym_visibility", "function_type"}).empty()
               ? ""
               : " attributes" + c.p.attrDict(c.o, {"sym_name", "sym_visibility", "function_type"});
  if (!c.o.regions.empty()) {
    c.out += " {\n";
    scopedRegion(c, *c.o.regions[0], false, true);
    c.out += std::string(c.indent, ' ') + "}";
  }
  c.p.scopes.pop_back();
  return true;
}

bool forForm(PCtx& c) {
  if (c.o.operands.size() < 3 || c.o.regions.size() != 1 || c.o.regions[0]->blocks.empty())
    return false;
  const Block& b = *c.o.regions[0]->blocks[0];
  size_t nIter = c.o.operands.size() - 3;
  if (b.args.size() != nIter + 1 || c.o.results.size() != nIter) return false;
  c.p.scopes.emplace_back();
  c.out += c.o.name + " " + c.p.define(b.args[0].get()) + " = " + c.p.refs(c.o, 0, 1) + " to " +
           c.p.refs(c.o, 1, 2) + " step " + c.p.refs(c.o, 2, 3);
  if (nIter) {
    c.out += " iter_args(";
    std::vector<Type> ts;
    for (size_t i = 0; i < nIter; ++i) {
      c.out += (i ? ", " : "") + c.p.define(b.args[i + 1].get()) + " = " + c.p.ref(c.o.operands[i + 3]);
      ts.push_back(c.o.results[i]->type);
    }
    c.out += ") -> " + Printer::typeList(ts, true);
  }
  if (b.args[0]->type.kind != Type::Kind::Index) c.out += "  : " + b.args[0]->type.str();
  c.out += " {\n";
  scopedRegion(c, *c.o.regions[0], false, nIter > 0);
  c.p.scopes.pop_back();
  c.out += std::string(c.indent, ' ') + "}" + c.p.attrDict(c.o);
  return true;
}

/// True when a region is empty or holds only an operand-less scf.yield.
bool trivialRegion(const Region& r) {
  if (r.blocks.empty()) return true;
  const Block& b = *r.blocks[0];
  return r.blocks.size() == 1 && b.args.empty() &&
         (b.ops.empty() || (b.ops.size() == 1 && b.ops[0]->name == "scf.yield" &&
                            b.ops[0]->operands.empty() && b.ops[0]->attrs.empty()));
}

bool ifForm(PCtx& c) {
  if (c.o.operands.size() != 1 || c.o.regions.empty() || c.o.regions.size() > 2) return false;
  c.out += c.o.name + " " + c.p.ref(c.o.operands[0]);
  std::vector<Type> ts;
  for (const auto& r : c.o.results) ts.push_back(r->type);
  if (!ts.empty()) c.out += " -> " + Printer::typeList(ts, true);
  bool term = !ts.empty();
  c.out += " {\n";
  c.p.scopes.emplace_back();
  scopedRegion(c, *c.o.regions[0], false, term);
  c.p.scopes.pop_back();
  c.out += std::string(c.indent, ' ') + "}";
  if (c.o.regions.size() == 2 && !(trivialRegion(*c.o.regions[1]) && !term)) {
    c.out += " else {\n";
    c.p.scopes.emplace_back();
    scopedRegion(c, *c.o.regions[1], false, term);
    c.p.scopes.pop_back();
    c.out += std::string(c.indent, ' ') + "}";
  }
  c.out += c.p.attrDict(c.o);
  return true;
}

bool whileForm(PCtx& c) {
  if (c.o.regions.size() != 2 || c.o.regions[0]->blocks.empty()) return false;
  const Block& before = *c.o.regions[0]->blocks[0];
  if (before.args.size() != c.o.operands.size()) return false;
  c.out += c.o.name;
  c.p.scopes.emplace_back();
  if (!c.o.operands.empty()) {
    c.out += " (";
    for (size_t i = 0; i < before.args.size(); ++i)
      c.out += (i ? ", " : "") + c.p.define(before.args[i].get()) + " = " + c.p.ref(c.o.operands[i]);
    c.out += ")";
  }
  c.out += " : " + Printer::functionalType(c.o) + " {\n";
  scopedRegion(c, *c.o.regions[0], false, true);
  c.p.scopes.pop_back();
  c.out += std::string(c.indent, ' ') + "} do {\n";
  c.p.scopes.emplace_back();
  scopedRegion(c, *c.o.regions[1], true, true);
  c.p.scopes.pop_back();
  c.out += std::string(c.indent, ' ') + "}" + c.p.attrDict(c.o);
  return true;
}

/// `[%a, %b]` for operands [from, to).
std::string bracket(PCtx& c, size_t from, size_t to) { return "[" + c.p.refs(c.o, from, to) + "]"; }

bool makeTensorPtr(PCtx& c) {
  size_t n = c.o.operands.size();
  if (n < 1 || (n - 1) % 3 || c.o.results.size() != 1 || !resultType(c.o).isPtr()) return false;
  size_t r = (n - 1) / 3;
  c.out += c.o.name + " " + c.p.refs(c.o, 0, 1) + ", " + bracket(c, 1, 1 + r) + ", " +
           bracket(c, 1 + r, 1 + 2 * r) + ", " + bracket(c, 1 + 2 * r, n) + c.p.attrDict(c.o) +
           " : <" + resultType(c.o).elem->str() + ">";
  return true;
}

bool advance(PCtx& c) {
  if (c.o.operands.empty() || c.o.results.size() != 1 || !resultType(c.o).isPtr()) return false;
  c.out += c.o.name + " " + c.p.refs(c.o, 0, 1) + ", " + bracket(c, 1, c.o.operands.size()) +
           c.p.attrDict(c.o) + " : <" + resultType(c.o).elem->str() + ">";
  return true;
}

bool gather(PCtx& c) {
  if (c.o.operands.size() != 2) return false;
  c.out += c.o.name + " " + c.p.refs(c.o, 0, 1) + bracket(c, 1, 2) + c.p.attrDict(c.o) + " : " +
           Printer::functionalType(c.o);
  return true;
}

bool print(PCtx& c) {
  const Attribute* prefix = c.o.attr("prefix");
  if (!prefix) return false;
  c.out += c.o.name + " " + prefix->str() + c.p.attrDict(c.o, {"prefix"});
  if (!c.o.operands.empty()) c.out += " : " + c.p.refs(c.o) + " : " + Printer::types(c.o.operands);
  return true;
}

bool assertOp(PCtx& c) {
  const Attribute* msg = c.o.attr("message");
  if (!msg || c.o.operands.size() != 1) return false;
  c.out += c.o.name + " " + c.p.refs(c.o) + ", " + msg->str() + c.p.attrDict(c.o, {"message"}) +
           " : " + c.o.operands[0]->type.str();
  return true;
}

bool inlineAsm(PCtx& c) {
  const Attribute* s = c.o.attr("asm_string");
  if (!s || c.o.results.empty()) return false;
  c.out += c.o.name + " " + s->str() + c.p.attrDict(c.o, {"asm_string"});
  if (!c.o.operands.empty()) c.out += " " + c.p.refs(c.o) + " : " + Printer::types(c.o.operands);
  std::string rs;
  for (size_t i = 0; i < c.o.results.size(); ++i) rs += (i ? ", " : "") + c.o.results[i]->type.str();
  c.out += " -> " + rs;
  return true;
}

bool bare(PCtx& c) {
  if (!c.o.operands.empty() || !c.o.results.empty()) return false;
  c.out += c.o.name + c.p.attrDict(c.o);
  return true;
}

bool makeTensorDesc(PCtx& c) {
  size_t n = c.o.operands.size();
  if (n < 1 || (n - 1) % 2 || c.o.results.size() != 1 || !c.o.operands[0]->type.isPtr()) return false;
  const Type& base = c.o.operands[0]->type;
  const std::string& d = resultType(c.o).name;
  const std::string pre = "!tt.tensordesc";
  if (d.rfind(pre, 0) != 0) return false;
  size_t r = (n - 1) / 2;
  c.out += c.o.name + " " + c.p.refs(c.o, 0, 1) + ", " + bracket(c, 1, 1 + r) + ", " +
           bracket(c, 1 + r, n) + c.p.attrDict(c.o) + " : <" + base.elem->str() + ">, " +
           d.substr(pre.size());
  return true;
}

bool descLoad(PCtx& c) {
  if (c.o.operands.empty() || c.o.results.size() != 1) return false;
  c.out += c.o.name + " " + c.p.refs(c.o, 0, 1) + bracket(c, 1, c.o.operands.size()) +
           c.p.attrDict(c.o) + " : " + c.o.operands[0]->type.str() + " -> " + resultType(c.o).str();
  return true;
}

bool descStore(PCtx& c) {
  size_t n = c.o.operands.size();
  if (n < 2) return false;
  std::set<std::string> skip;
  c.out += c.o.name + " ";
  for (const std::string& k : c.syn.keywords) {
    const Attribute* a = c.o.attr(k);
    if (!a) return false;
    c.out += a->str() + ", ";
    skip.insert(k);
  }
  c.out += c.p.refs(c.o, 0, 1) + bracket(c, 1, n - 1) + ", " + c.p.refs(c.o, n - 1, n) +
           c.p.attrDict(c.o, skip) + " : " + c.o.operands[0]->type.str() + ", " +
           c.o.operands[n - 1]->type.str();
  return true;
}

/// Label of `b` as printed (`bb1`).
std::string blockLabel(const Block* b) {
  if (!b->label.empty()) return b->label;
  size_t i = 0;
  if (b->parentRegion)
    while (i < b->parentRegion->blocks.size() && b->parentRegion->blocks[i].get() != b) ++i;
  return "bb" + std::to_string(i);
}

/// `^bb1` or `^bb1(%a : T)` for operands [from, to).
std::string successor(PCtx& c, const Block* b, size_t from, size_t to) {
  std::string s = "^" + blockLabel(b);
  if (to > from) {
    std::vector<Value*> vs(c.o.operands.begin() + from, c.o.operands.begin() + to);
    s += "(" + c.p.refs(c.o, from, to) + " : " + Printer::types(vs) + ")";
  }
  return s;
}

bool branch(PCtx& c) {
  if (c.o.successors.size() != 1) return false;
  c.out += c.o.name + " " + successor(c, c.o.successors[0], 0, c.o.operands.size()) + c.p.attrDict(c.o);
  return true;
}

bool condBranch(PCtx& c) {
  const Attribute* seg = c.o.attr("operandSegmentSizes");
  if (c.o.successors.size() != 2 || !seg || seg->elems.size() != 3 || c.o.operands.empty()) return false;
  size_t nT = static_cast<size_t>(seg->elems[1].i), nF = static_cast<size_t>(seg->elems[2].i);
  if (1 + nT + nF != c.o.operands.size()) return false;
  c.out += c.o.name + " " + c.p.ref(c.o.operands[0]) + ", " + successor(c, c.o.successors[0], 1, 1 + nT) +
           ", " + successor(c, c.o.successors[1], 1 + nT, 1 + nT + nF) +
           c.p.attrDict(c.o, {"operandSegmentSizes"});
  return true;
}

using PrintFn = bool (*)(PCtx&);
const std::map<Form, PrintFn>& printTable() {
  static const std::map<Form, PrintFn> table = {
      {Form::SameType, sameType},       {Form::Cmp, cmp},
      {Form::Select, select},           {Form::AddPtr, addptr},
      {Form::Cast, cast},               {Form::Arrow, arrow},
      {Form::Constant, constant},       {Form::TypeOnly, typeOnly},
      {Form::Unsplat, unsplat},
      {Form::Axis, axis},               {Form::Load, loadStore},
      {Form::Store, loadStore},         {Form::KwFunctional, kwFunctional},
      {Form::Dot, dot},                 {Form::Call, call},
      {Form::DotScaled, dotScaled},
      {Form::Func, funcForm},           {Form::OperandsTypes, operandsTypes},
      {Form::Condition, condition},     {Form::For, forForm},
      {Form::If, ifForm},               {Form::While, whileForm},
      {Form::MakeTensorPtr, makeTensorPtr}, {Form::Advance, advance},
      {Form::Gather, gather},           {Form::Print, print},
      {Form::Assert, assertOp},         {Form::InlineAsm, inlineAsm},
      {Form::Bare, bare},               {Form::MakeTensorDesc, makeTensorDesc},
      {Form::DescLoad, descLoad},       {Form::DescStore, descStore},
      {Form::Branch, branch},           {Form::CondBranch, condBranch},
  };
  return table;
}

}  // namespace

bool printCustom(Printer& p, const Operation& o, const OpSyntax& syn, int indent) {
  auto it = printTable().find(syn.form);
  if (it == printTable().end()) return false;
  size_t mark = p.out.size();
  PCtx c{p, o, syn, indent, p.out};
  if (it->second(c)) return true;
  p.out.resize(mark);
  return false;
}

}  // namespace tvk::ir
