// Custom op forms of the TTIR parser: one function per ir::Form, chosen through a table.
#include <map>

#include "parser/parser_impl.h"

namespace tvk::parser {

using ir::Attribute;
using ir::Form;
using ir::Operation;
using ir::OpSyntax;
using ir::Type;
using ir::Value;

Type pointeeType(const Type& t) {
  if (t.isTensor() && t.elem->isPtr()) return Type::tensor(t.shape, *t.elem->elem);
  if (t.isPtr()) return *t.elem;
  return t;
}

Type boolLike(const Type& like) {
  return like.isTensor() ? Type::tensor(like.shape, Type::i(1)) : Type::i(1);
}

namespace {

/// Checks that operand `i` has type `t`.
bool checkType(Ctx& c, size_t i, const Type& t) {
  if (i >= c.op.operands.size()) return c.p.fail(c.op.name + ": missing operand");
  if (c.op.operands[i]->type != t)
    return c.p.fail(c.op.name + ": operand %" + c.op.operands[i]->name + " has type " +
                    c.op.operands[i]->type.str() + ", expected " + t.str());
  return true;
}

/// `: T`
bool colonType(Ctx& c, Type& t) { return c.p.expect(":") && c.p.parseType(t); }

bool sameType(Ctx& c) {
  if (!c.p.parseOperandsAndNamed(c.op)) return false;
  if (c.p.tryKeyword("fastmath")) {
    std::string body;
    if (!c.p.parseAngleText(body)) return false;
    c.op.attrs["fastmath"] = Attribute::keyword("#arith.fastmath" + body);
  }
  if (c.p.tryKeyword("overflow")) {
    std::string body;
    if (!c.p.parseAngleText(body)) return false;
    c.op.attrs["overflowFlags"] = Attribute::keyword("#arith.overflow" + body);
  }
  Type t;
  if (!c.p.parseOptionalAttrDict(c.op.attrs) || !colonType(c, t)) return false;
  for (size_t i = 0; i < c.op.operands.size(); ++i)
    if (!checkType(c, i, t)) return false;
  c.results.push_back(t);
  return true;
}

bool cmp(Ctx& c) {
  std::string pred;
  Type t;
  if (!c.p.parseIdent(pred) || !c.p.expect(",") || !c.p.parseOperandList(c.op.operands) ||
      !c.p.parseOptionalAttrDict(c.op.attrs) || !colonType(c, t))
    return false;
  c.op.attrs["predicate"] = Attribute::keyword(pred);
  if (c.op.operands.size() != 2) return c.p.fail(c.op.name + " needs 2 operands");
  if (!checkType(c, 0, t) || !checkType(c, 1, t)) return false;
  c.results.push_back(boolLike(t));
  return true;
}

bool select(Ctx& c) {
  std::vector<Type> ts;
  if (!c.p.parseOperandList(c.op.operands) || !c.p.parseOptionalAttrDict(c.op.attrs) ||
      !c.p.expect(":") || !c.p.parseBareTypeList(ts))
    return false;
  c.results.push_back(ts.back());
  return true;
}

bool addptr(Ctx& c) {
  std::vector<Type> ts;
  if (!c.p.parseOperandList(c.op.operands) || !c.p.parseOptionalAttrDict(c.op.attrs) ||
      !c.p.expect(":") || !c.p.parseBareTypeList(ts))
    return false;
  if (ts.size() != 2 || c.op.operands.size() != 2) return c.p.fail("tt.addptr needs 2 operands and 2 types");
  if (!checkType(c, 0, ts[0]) || !checkType(c, 1, ts[1])) return false;
  c.results.push_back(ts[0]);
  return true;
}

bool cast(Ctx& c) {
  Type from, to;
  if (!c.p.parseOperandList(c.op.operands) || !c.p.parseOptionalAttrDict(c.op.attrs) ||
      !colonType(c, from) || !c.p.tryKeyword("to") || !c.p.parseType(to))
    return c.p.error.empty() ? c.p.fail("expected 'to' in " + c.op.name) : false;
  if (!checkType(c, 0, from)) return false;
  c.results.push_back(to);
  return true;
}

bool arrow(Ctx& c) {
  if (!c.p.parseOperandsAndNamed(c.op)) return false;
  for (bool more = true; more;) {
    more = false;
    for (const std::string& kw : c.syn.unitKeywords)
      if (c.p.tryKeyword(kw.c_str())) c.op.attrs[kw] = Attribute(), more = true;
  }
  Type from, to;
  if (!c.p.parseOptionalAttrDict(c.op.attrs) || !colonType(c, from) || !c.p.expect("->") ||
      !c.p.parseType(to))
    return false;
  if (!checkType(c, 0, from)) return false;
  for (int i = 0; i < c.syn.numResults; ++i) c.results.push_back(to);
  return true;
}

bool unsplat(Ctx& c) {
  Type t;
  if (!c.p.parseOperandList(c.op.operands) || c.op.operands.size() != 1 ||
      !c.p.parseOptionalAttrDict(c.op.attrs) || !colonType(c, t) || !checkType(c, 0, t))
    return c.p.error.empty() ? c.p.fail("bad tt.unsplat") : false;
  if (!t.isTensor()) return c.p.fail("tt.unsplat needs a tensor operand");
  c.results.push_back(*t.elem);
  return true;
}

bool constant(Ctx& c) {
  Attribute v;
  if (!c.p.parseOptionalAttrDict(c.op.attrs) || !c.p.parseAttr(v)) return false;
  if (v.type.kind == Type::Kind::None) return c.p.fail("arith.constant value needs a type");
  c.results.push_back(v.type);
  c.op.attrs["value"] = std::move(v);
  return true;
}

bool typeOnly(Ctx& c) {
  Type t;
  if (!c.p.parseOptionalAttrDict(c.op.attrs) || !colonType(c, t)) return false;
  c.results.push_back(t);
  return true;
}

bool axis(Ctx& c) {
  std::string a;
  Type t;
  if (!c.p.parseIdent(a)) return false;
  if (a != "x" && a != "y" && a != "z") return c.p.fail("expected x, y or z, got " + a);
  c.op.attrs["axis"] = Attribute::integer(a[0] - 'x', Type::i(32));
  if (!c.p.parseOptionalAttrDict(c.op.attrs) || !colonType(c, t)) return false;
  c.results.push_back(t);
  return true;
}

/// `cacheModifier = k` / `evictionPolicy = k` in any order.
bool cacheEvict(Ctx& c) {
  for (;;) {
    std::string v;
    if (c.p.tryKeyword("cacheModifier")) {
      if (!c.p.expect("=") || !c.p.parseIdent(v)) return false;
      c.op.attrs["cache"] = Attribute::keyword(v);
    } else if (c.p.tryKeyword("evictionPolicy")) {
      if (!c.p.expect("=") || !c.p.parseIdent(v)) return false;
      c.op.attrs["evict"] = Attribute::keyword(v);
    } else {
      return true;
    }
  }
}

bool loadStore(Ctx& c) {
  Type t;
  if (!c.p.parseOperandList(c.op.operands) || !cacheEvict(c) ||
      !c.p.parseOptionalAttrDict(c.op.attrs) || !colonType(c, t) || !checkType(c, 0, t))
    return false;
  if (c.syn.form == Form::Load) c.results.push_back(pointeeType(t));
  return true;
}

bool kwFunctional(Ctx& c) {
  for (const std::string& k : c.syn.keywords) {
    std::string v;
    if (!c.p.parseIdent(v) || !c.p.expect(",")) return false;
    c.op.attrs[k] = Attribute::keyword(v);
  }
  std::vector<Type> ins;
  if (!c.p.parseOperandList(c.op.operands, false) || !c.p.parseOptionalAttrDict(c.op.attrs) ||
      !c.p.expect(":") || !c.p.parseFunctionalType(ins, c.results))
    return false;
  if (ins.size() != c.op.operands.size()) return c.p.fail(c.op.name + ": operand/type count mismatch");
  for (size_t i = 0; i < ins.size(); ++i)
    if (!checkType(c, i, ins[i])) return false;
  return true;
}

bool dot(Ctx& c) {
  Type a, b, d;
  if (!c.p.parseOperandsAndNamed(c.op) || !c.p.parseOptionalAttrDict(c.op.attrs) ||
      !colonType(c, a) || !c.p.expect("*") || !c.p.parseType(b) || !c.p.expect("->") ||
      !c.p.parseType(d))
    return false;
  if (c.op.operands.size() != 3) return c.p.fail("tt.dot needs 3 operands");
  if (!checkType(c, 0, a) || !checkType(c, 1, b) || !checkType(c, 2, d)) return false;
  c.results.push_back(d);
  return true;
}

/// `tt.dot_scaled %a [scale %as], %b [scale %bs], %c lhs = k rhs = k attr-dict
///   : Ta[, Tas] * Tb[, Tbs] -> Tc`; operands stored as [a, b, c, as?, bs?].
bool dotScaled(Ctx& c) {
  Value *a = nullptr, *as = nullptr, *b = nullptr, *bs = nullptr, *acc = nullptr;
  if (!c.p.parseOperand(a)) return false;
  if (c.p.tryKeyword("scale") && !c.p.parseOperand(as)) return false;
  if (!c.p.expect(",") || !c.p.parseOperand(b)) return false;
  if (c.p.tryKeyword("scale") && !c.p.parseOperand(bs)) return false;
  std::string lhs, rhs;
  if (!c.p.expect(",") || !c.p.parseOperand(acc) || !c.p.expect("lhs") || !c.p.expect("=") ||
      !c.p.parseIdent(lhs) || !c.p.expect("rhs") || !c.p.expect("=") || !c.p.parseIdent(rhs) ||
      !c.p.parseOptionalAttrDict(c.op.attrs))
    return false;
  c.op.attrs["a_elem_type"] = Attribute::keyword(lhs);
  c.op.attrs["b_elem_type"] = Attribute::keyword(rhs);
  c.op.operands = {a, b, acc};
  if (as) c.op.operands.push_back(as);
  if (bs) c.op.operands.push_back(bs);
  Attribute seg;
  seg.kind = Attribute::Kind::Array;
  seg.denseArray = true;
  seg.type = Type::i(32);
  for (int n : {1, 1, 1, as ? 1 : 0, bs ? 1 : 0}) seg.elems.push_back(Attribute::integer(n, Type()));
  c.op.attrs["operandSegmentSizes"] = seg;
  Type ta, tas, tb, tbs, d;
  if (!colonType(c, ta)) return false;
  if (as && (!c.p.expect(",") || !c.p.parseType(tas))) return false;
  if (!c.p.expect("*") || !c.p.parseType(tb)) return false;
  if (bs && (!c.p.expect(",") || !c.p.parseType(tbs))) return false;
  if (!c.p.expect("->") || !c.p.parseType(d)) return false;
  if (!checkType(c, 0, ta) || !checkType(c, 1, tb) || !checkType(c, 2, d)) return false;
  if (as && !checkType(c, 3, tas)) return false;
  if (bs && !checkType(c, as ? 4 : 3, tbs)) return false;
  c.results.push_back(d);
  return true;
}

bool call(Ctx& c) {
  std::string callee;
  std::vector<Type> ins;
  if (!c.p.parseSymbol(callee) || !c.p.expect("(")) return false;
  if (c.p.peek() != ')' && !c.p.parseOperandList(c.op.operands)) return false;
  if (!c.p.expect(")") || !c.p.parseOptionalAttrDict(c.op.attrs) || !c.p.expect(":") ||
      !c.p.parseFunctionalType(ins, c.results))
    return false;
  Attribute a;
  a.kind = Attribute::Kind::String;
  a.s = callee;
  c.op.attrs["callee"] = a;
  if (ins.size() != c.op.operands.size()) return c.p.fail("tt.call: operand/type count mismatch");
  return true;
}

bool operandsTypes(Ctx& c) {
  std::vector<Type> ts;
  if (!c.p.parseOptionalAttrDict(c.op.attrs) || !c.p.parseOperandList(c.op.operands, false) ||
      !c.p.parseOptionalAttrDict(c.op.attrs))
    return false;
  if (c.op.operands.empty()) return true;
  if (!c.p.expect(":") || !c.p.parseBareTypeList(ts)) return false;
  if (ts.size() != c.op.operands.size()) return c.p.fail(c.op.name + ": operand/type count mismatch");
  for (size_t i = 0; i < ts.size(); ++i)
    if (!checkType(c, i, ts[i])) return false;
  return true;
}

bool condition(Ctx& c) {
  Value* cond;
  if (!c.p.expect("(") || !c.p.parseOperand(cond) || !c.p.expect(")")) return false;
  c.op.operands.push_back(cond);
  std::vector<Type> ts;
  if (!c.p.parseOperandList(c.op.operands, false) || !c.p.parseOptionalAttrDict(c.op.attrs))
    return false;
  if (c.op.operands.size() == 1) return true;
  if (!c.p.expect(":") || !c.p.parseBareTypeList(ts)) return false;
  if (ts.size() + 1 != c.op.operands.size()) return c.p.fail("scf.condition: operand/type count mismatch");
  return true;
}

/// `[%a, %b]` appended to the operands; returns the count through `n`.
bool bracketList(Ctx& c, size_t& n) {
  size_t before = c.op.operands.size();
  if (!c.p.expect("[")) return false;
  if (c.p.peek() != ']' && !c.p.parseOperandList(c.op.operands)) return false;
  n = c.op.operands.size() - before;
  return c.p.expect("]");
}

bool makeTensorPtr(Ctx& c) {
  size_t n[3];
  Type t;
  if (!c.p.parseOperandList(c.op.operands) || c.op.operands.size() != 1) return c.p.fail("bad tt.make_tensor_ptr");
  for (size_t& k : n)
    if (!c.p.expect(",") || !bracketList(c, k)) return false;
  if (n[0] != n[1] || n[1] != n[2]) return c.p.fail("tt.make_tensor_ptr: shape/strides/offsets differ in rank");
  if (!c.p.parseOptionalAttrDict(c.op.attrs) || !c.p.expect(":") || !c.p.parseAngleType(t)) return false;
  c.results.push_back(t);
  return true;
}

bool advance(Ctx& c) {
  size_t n;
  Type t;
  if (!c.p.parseOperandList(c.op.operands) || c.op.operands.size() != 1) return c.p.fail("bad tt.advance");
  if (!c.p.expect(",") || !bracketList(c, n) || !c.p.parseOptionalAttrDict(c.op.attrs) ||
      !c.p.expect(":") || !c.p.parseAngleType(t) || !checkType(c, 0, t))
    return false;
  c.results.push_back(t);
  return true;
}

bool gather(Ctx& c) {
  size_t n;
  std::vector<Type> ins;
  if (!c.p.parseOperandList(c.op.operands) || !bracketList(c, n) ||
      !c.p.parseOptionalAttrDict(c.op.attrs) || !c.p.expect(":") ||
      !c.p.parseFunctionalType(ins, c.results))
    return false;
  return true;
}

bool print(Ctx& c) {
  Attribute prefix;
  prefix.kind = Attribute::Kind::String;
  if (!c.p.parseString(prefix.s) || !c.p.parseOptionalAttrDict(c.op.attrs)) return false;
  c.op.attrs["prefix"] = prefix;
  if (!c.p.tryConsume(":")) return true;
  std::vector<Type> ts;
  return c.p.parseOperandList(c.op.operands) && c.p.expect(":") && c.p.parseBareTypeList(ts);
}

bool assertOp(Ctx& c) {
  Attribute msg;
  msg.kind = Attribute::Kind::String;
  Type t;
  if (!c.p.parseOperandList(c.op.operands) || !c.p.expect(",") || !c.p.parseString(msg.s) ||
      !c.p.parseOptionalAttrDict(c.op.attrs) || !colonType(c, t))
    return false;
  c.op.attrs["message"] = msg;
  return true;
}

bool inlineAsm(Ctx& c) {
  Attribute s;
  s.kind = Attribute::Kind::String;
  std::vector<Type> ts;
  if (!c.p.parseString(s.s) || !c.p.parseOptionalAttrDict(c.op.attrs) ||
      !c.p.parseOperandList(c.op.operands, false))
    return false;
  c.op.attrs["asm_string"] = s;
  if (!c.op.operands.empty() && !(c.p.expect(":") && c.p.parseBareTypeList(ts))) return false;
  return c.p.expect("->") && c.p.parseBareTypeList(c.results);
}

bool bare(Ctx& c) { return c.p.parseOptionalAttrDict(c.op.attrs); }

bool makeTensorDesc(Ctx& c) {
  size_t n1, n2;
  Type base, desc;
  if (!c.p.parseOperandList(c.op.operands) || c.op.operands.size() != 1) return c.p.fail("bad tt.make_tensor_descriptor");
  if (!c.p.expect(",") || !bracketList(c, n1) || !c.p.expect(",") || !bracketList(c, n2) ||
      !c.p.parseOptionalAttrDict(c.op.attrs) || !c.p.expect(":") || !c.p.parseAngleType(base) ||
      !c.p.expect(",") || !c.p.parseAngleType(desc))
    return false;
  Type r;
  r.kind = Type::Kind::Opaque;
  r.name = "!tt.tensordesc<" + desc.elem->str() + ">";
  c.results.push_back(r);
  return true;
}

bool descLoad(Ctx& c) {
  size_t n;
  Type d, t;
  if (!c.p.parseOperandList(c.op.operands) || !bracketList(c, n) ||
      !c.p.parseOptionalAttrDict(c.op.attrs) || !colonType(c, d) || !c.p.expect("->") ||
      !c.p.parseType(t))
    return false;
  c.results.push_back(t);
  return true;
}

bool descStore(Ctx& c) {
  for (const std::string& k : c.syn.keywords) {
    std::string v;
    if (!c.p.parseIdent(v) || !c.p.expect(",")) return false;
    c.op.attrs[k] = Attribute::keyword(v);
  }
  size_t n;
  Value* v;
  std::vector<Type> ts;
  if (!c.p.parseOperandList(c.op.operands) || !bracketList(c, n) || !c.p.expect(",") ||
      !c.p.parseOperand(v))
    return false;
  c.op.operands.push_back(v);
  return c.p.parseOptionalAttrDict(c.op.attrs) && c.p.expect(":") && c.p.parseBareTypeList(ts);
}


bool branch(Ctx& c) {
  int n;
  return c.p.parseSuccessor(c.op, n) && c.p.parseOptionalAttrDict(c.op.attrs);
}

bool condBranch(Ctx& c) {
  Value* cond;
  int nTrue, nFalse;
  if (!c.p.parseOperand(cond) || !c.p.expect(",")) return false;
  c.op.operands.push_back(cond);
  if (!c.p.parseSuccessor(c.op, nTrue) || !c.p.expect(",") || !c.p.parseSuccessor(c.op, nFalse) ||
      !c.p.parseOptionalAttrDict(c.op.attrs))
    return false;
  Attribute seg;
  seg.kind = Attribute::Kind::Array;
  seg.denseArray = true;
  seg.type = Type::i(32);
  for (int n : {1, nTrue, nFalse}) seg.elems.push_back(Attribute::integer(n, Type()));
  c.op.attrs["operandSegmentSizes"] = seg;
  return true;
}

using FormFn = bool (*)(Ctx&);
const std::map<Form, FormFn>& formTable() {
  static const std::map<Form, FormFn> table = {
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

bool Parser::parseCustom(Operation& op, const OpSyntax& syn, std::vector<Type>& results,
                         const std::vector<std::string>& resultNames) {
  auto it = formTable().find(syn.form);
  if (it == formTable().end()) return fail("unsupported: " + op.name + " (no custom form)");
  Ctx c{*this, op, syn, results, resultNames};
  return it->second(c);
}

}  // namespace tvk::parser
