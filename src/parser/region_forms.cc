// Custom forms with regions: tt.func, scf.for, scf.if, scf.while.
#include "parser/parser_impl.h"

namespace tvk::parser {

using ir::Attribute;
using ir::Operation;
using ir::Type;
using ir::Value;

/// Adds a new region to `op`.
static ir::Region& addRegion(Operation& op) {
  op.regions.push_back(std::make_unique<ir::Region>());
  op.regions.back()->parentOp = &op;
  return *op.regions.back();
}

bool funcForm(Ctx& c) {
  Parser& p = c.p;
  for (const char* vis : {"public", "private", "nested"})
    if (p.tryKeyword(vis)) {
      Attribute a;
      a.kind = Attribute::Kind::String;
      a.s = vis;
      c.op.attrs["sym_visibility"] = a;
    }
  Attribute name;
  name.kind = Attribute::Kind::String;
  if (!p.parseSymbol(name.s) || !p.expect("(")) return false;
  c.op.attrs["sym_name"] = name;
  std::vector<std::unique_ptr<Value>> args;
  if (!p.tryConsume(")")) {
    do {
      if (!p.expect("%")) return false;
      std::string n = readValueName(p);
      Type t;
      if (n.empty() || !p.expect(":") || !p.parseType(t)) return p.error.empty() ? p.fail("bad argument") : false;
      auto v = p.makeArg(n, t);
      ir::AttrDict ad;
      if (p.peek() == '{' && !p.parseAttrDict(ad)) return false;
      if (!p.parseOptionalLoc(v->loc)) return false;
      c.op.argAttrs.push_back(std::move(ad));
      args.push_back(std::move(v));
    } while (p.tryConsume(","));
    if (!p.expect(")")) return false;
  }
  if (p.tryConsume("->") && !p.parseTypeList(c.op.resultTypes)) return false;
  if (p.tryKeyword("attributes") && !p.parseAttrDict(c.op.attrs)) return false;
  if (p.peek() != '{') return true;  // declaration without body
  return p.parseRegion(addRegion(c.op), std::move(args), /*isolated=*/true);
}

/// Parses `(%a = %init, ...)` into names and operands.
static bool parseInits(Parser& p, Operation& op, std::vector<std::string>& names) {
  if (!p.expect("(")) return false;
  if (p.tryConsume(")")) return true;
  do {
    Value* init;
    if (!p.expect("%")) return false;
    std::string n = readValueName(p);
    if (n.empty() || !p.expect("=") || !p.parseOperand(init)) return p.error.empty() ? p.fail("bad init") : false;
    names.push_back(n);
    op.operands.push_back(init);
  } while (p.tryConsume(","));
  return p.expect(")");
}

bool forForm(Ctx& c) {
  Parser& p = c.p;
  if (!p.expect("%")) return false;
  std::string iv = readValueName(p);
  Value *lb, *ub, *step;
  if (iv.empty() || !p.expect("=") || !p.parseOperand(lb) || !p.tryKeyword("to") ||
      !p.parseOperand(ub) || !p.tryKeyword("step") || !p.parseOperand(step))
    return p.error.empty() ? p.fail("malformed scf.for header") : false;
  c.op.operands = {lb, ub, step};
  std::vector<std::string> names;
  std::vector<Type> types;
  if (p.tryKeyword("iter_args")) {
    if (!parseInits(p, c.op, names) || !p.expect("->") || !p.parseTypeList(types)) return false;
    if (types.size() != names.size()) return p.fail("scf.for: iter_args and result types differ in count");
  }
  Type ivType;
  ivType.kind = Type::Kind::Index;
  ivType.bits = 64;
  if (p.tryConsume(":") && !p.parseType(ivType)) return false;
  std::vector<std::unique_ptr<Value>> args;
  args.push_back(p.makeArg(iv, ivType));
  for (size_t i = 0; i < names.size(); ++i) args.push_back(p.makeArg(names[i], types[i]));
  ir::Region& body = addRegion(c.op);
  if (!p.parseRegion(body, std::move(args))) return false;
  if (names.empty()) p.ensureYield(body, c.op.loc);
  c.results = types;
  return p.parseOptionalAttrDict(c.op.attrs);
}

bool ifForm(Ctx& c) {
  Parser& p = c.p;
  Value* cond;
  if (!p.parseOperand(cond)) return false;
  c.op.operands.push_back(cond);
  if (p.tryConsume("->") && !p.parseTypeList(c.results)) return false;
  ir::Region& thenR = addRegion(c.op);
  if (!p.parseRegion(thenR, {})) return false;
  ir::Region& elseR = addRegion(c.op);
  if (p.tryKeyword("else") && !p.parseRegion(elseR, {})) return false;
  if (c.results.empty()) {
    p.ensureYield(thenR, c.op.loc);
    p.ensureYield(elseR, c.op.loc);
  }
  return p.parseOptionalAttrDict(c.op.attrs);
}

bool whileForm(Ctx& c) {
  Parser& p = c.p;
  std::vector<std::string> names;
  std::vector<Type> ins;
  if (p.peek() == '(' && !parseInits(p, c.op, names)) return false;
  if (!p.expect(":") || !p.parseFunctionalType(ins, c.results)) return false;
  if (ins.size() != names.size()) return p.fail("scf.while: init and type counts differ");
  std::vector<std::unique_ptr<Value>> args;
  for (size_t i = 0; i < names.size(); ++i) args.push_back(p.makeArg(names[i], ins[i]));
  if (!p.parseRegion(addRegion(c.op), std::move(args))) return false;
  if (!p.tryKeyword("do")) return p.fail("expected 'do' in scf.while");
  if (!p.parseRegion(addRegion(c.op), {})) return false;
  if (p.tryKeyword("attributes")) return p.parseAttrDict(c.op.attrs);  // MLIR's spelling
  return p.parseOptionalAttrDict(c.op.attrs);
}

}  // namespace tvk::parser
