// Operation, value and region grammar of the TTIR parser (custom forms are in forms.cc).
#include <cctype>

#include "parser/parser_impl.h"

namespace tvk::parser {

using ir::Type;
using ir::Value;

std::string readValueName(Parser& p) {
  size_t start = p.pos;
  while (p.pos < p.text.size() && (identChar(p.text[p.pos]) || p.text[p.pos] == '-')) ++p.pos;
  return p.text.substr(start, p.pos - start);
}

bool Parser::parseOperand(Value*& v) {
  if (!expect("%")) return false;
  std::string name = readValueName(*this);
  if (name.empty()) return fail("expected value name after '%'");
  std::string key = name;
  if (pos < text.size() && text[pos] == '#') {
    ++pos;
    int64_t n;
    if (!parseInt(n)) return false;
    key = name + "#" + std::to_string(n);
  }
  for (size_t s = scopes.size(); s-- > visibleFrom.back();) {
    auto& sc = scopes[s];
    auto it = sc.find(key);
    if (it == sc.end() && key == name) it = sc.find(name + "#0");
    if (it == sc.end() && key == name + "#0") it = sc.find(name);
    if (it != sc.end()) {
      v = it->second;
      return true;
    }
  }
  return fail("use of undefined value %" + key);
}

bool Parser::parseOperandList(std::vector<Value*>& out, bool required) {
  if (!required && peek() != '%') return true;
  for (;;) {
    Value* v;
    if (!parseOperand(v)) return false;
    out.push_back(v);
    size_t save = pos;
    if (tryConsume(",") && peek() == '%') continue;
    pos = save;
    return true;
  }
}

bool Parser::parseOperandsAndNamed(ir::Operation& op) {
  if (!parseOperandList(op.operands)) return false;
  while (tryConsume(",")) {
    std::string key, kw;
    if (!parseIdent(key) || !expect("=") || !parseIdent(kw)) return false;
    op.attrs[key] = ir::Attribute::keyword(kw);
  }
  return true;
}

std::unique_ptr<Value> Parser::makeArg(const std::string& name, const Type& t) {
  auto v = std::make_unique<Value>();
  v->name = name;
  v->type = t;
  return v;
}

bool Parser::define(Value* v) {
  auto& sc = scopes.back();
  if (sc.count(v->name)) return fail("redefinition of %" + v->name);
  sc[v->name] = v;
  return true;
}

bool Parser::parseBlockArgs(std::vector<std::unique_ptr<Value>>& args) {
  if (!tryConsume("(")) return true;
  if (tryConsume(")")) return true;
  do {
    if (!expect("%")) return false;
    std::string name = readValueName(*this);
    Type t;
    if (name.empty() || !expect(":") || !parseType(t)) return error.empty() ? fail("bad block argument") : false;
    auto v = makeArg(name, t);
    if (!parseOptionalLoc(v->loc)) return false;
    args.push_back(std::move(v));
  } while (tryConsume(","));
  return expect(")");
}

ir::Block* Parser::blockRef(const std::string& label) {
  auto& labels = blockLabels.back();
  auto it = labels.find(label);
  if (it != labels.end()) return it->second;
  auto& pending = pendingBlocks.back();
  auto& slot = pending[label];
  if (!slot) {
    slot = std::make_unique<ir::Block>();
    slot->label = label;
  }
  return slot.get();
}

bool Parser::parseSuccessor(ir::Operation& op, int& count) {
  count = 0;
  if (!expect("^")) return false;
  std::string label = readValueName(*this);
  if (label.empty()) return fail("expected block label");
  op.successors.push_back(blockRef(label));
  if (!tryConsume("(")) return true;
  size_t before = op.operands.size();
  std::vector<Type> ts;
  if (!parseOperandList(op.operands) || !expect(":") || !parseBareTypeList(ts) || !expect(")"))
    return false;
  count = static_cast<int>(op.operands.size() - before);
  if (static_cast<int>(ts.size()) != count) return fail("successor operand/type count mismatch");
  return true;
}

bool Parser::parseRegion(ir::Region& r, std::vector<std::unique_ptr<Value>> entryArgs,
                         bool isolated) {
  if (++depth > 100) return fail("regions nested too deeply");
  struct Guard {
    Parser& p;
    ~Guard() {
      --p.depth;
      p.scopes.pop_back();
      p.visibleFrom.pop_back();
      p.blockLabels.pop_back();
      p.pendingBlocks.pop_back();
    }
  } guard{*this};
  scopes.emplace_back();
  visibleFrom.push_back(isolated ? scopes.size() - 1 : visibleFrom.back());
  blockLabels.emplace_back();
  pendingBlocks.emplace_back();
  if (!expect("{")) return false;
  ir::Block* cur = nullptr;
  auto newBlock = [&](std::string label) -> bool {
    if (!label.empty() && blockLabels.back().count(label)) return fail("redefinition of block ^" + label);
    std::unique_ptr<ir::Block> b;
    auto pend = pendingBlocks.back().find(label);
    if (!label.empty() && pend != pendingBlocks.back().end()) {
      b = std::move(pend->second);
      pendingBlocks.back().erase(pend);
    } else {
      b = std::make_unique<ir::Block>();
    }
    r.blocks.push_back(std::move(b));
    cur = r.blocks.back().get();
    cur->parentRegion = &r;
    cur->label = std::move(label);
    if (!cur->label.empty()) blockLabels.back()[cur->label] = cur;
    return true;
  };
  if (peek() != '^') {
    newBlock("");
    for (auto& a : entryArgs) {
      a->ownerBlock = cur;
      a->index = static_cast<int>(cur->args.size());
      if (!define(a.get())) return false;
      cur->args.push_back(std::move(a));
    }
  }
  while (error.empty()) {
    char c = peek();
    if (c == 0) return fail("unexpected end of input inside a region (unbalanced braces?)");
    if (c == '}') break;
    if (c == '^') {
      ++pos;
      std::string label = readValueName(*this);
      std::vector<std::unique_ptr<Value>> args;
      if (label.empty()) return fail("expected block label");
      if (!parseBlockArgs(args) || !expect(":")) return false;
      if (!cur && !entryArgs.empty() && args.empty()) return fail("entry block arguments missing");
      if (!newBlock(label)) return false;
      for (auto& a : args) {
        a->ownerBlock = cur;
        a->index = static_cast<int>(cur->args.size());
        if (!define(a.get())) return false;
        cur->args.push_back(std::move(a));
      }
      continue;
    }
    if (!parseOp(*cur)) return false;
  }
  if (!error.empty()) return false;
  if (!pendingBlocks.back().empty())
    return fail("branch to undefined block ^" + pendingBlocks.back().begin()->first);
  if (r.blocks.empty()) newBlock("");
  return expect("}");
}

void Parser::ensureYield(ir::Region& r, const ir::Location& loc) {
  if (r.blocks.empty()) return;
  ir::Block& b = *r.blocks.back();
  if (!b.ops.empty() && b.ops.back()->name == "scf.yield") return;
  auto y = std::make_unique<ir::Operation>();
  y->name = "scf.yield";
  y->loc = loc;
  y->parentBlock = &b;
  b.ops.push_back(std::move(y));
}

/// Generic-form arith.cmpi/cmpf carry the predicate as an integer; the IR keeps keywords.
static void predicateToKeyword(ir::Operation& op) {
  static const char* cmpi[] = {"eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"};
  static const char* cmpf[] = {"false", "oeq", "ogt", "oge", "olt", "ole", "one", "ord",
                               "ueq", "ugt", "uge", "ult", "ule", "une", "uno", "true"};
  auto it = op.attrs.find("predicate");
  if (it == op.attrs.end() || it->second.kind != ir::Attribute::Kind::Int) return;
  int64_t v = it->second.i;
  if (op.name == "arith.cmpi" && v >= 0 && v < 10) it->second = ir::Attribute::keyword(cmpi[v]);
  if (op.name == "arith.cmpf" && v >= 0 && v < 16) it->second = ir::Attribute::keyword(cmpf[v]);
}

bool Parser::parseGeneric(ir::Operation& op, std::vector<Type>& results) {
  if (!expect("(")) return false;
  if (peek() != ')' && !parseOperandList(op.operands)) return false;
  if (!expect(")")) return false;
  if (tryConsume("[")) {
    do {
      if (!expect("^")) return false;
      std::string label = readValueName(*this);
      if (label.empty()) return fail("expected block label");
      op.successors.push_back(blockRef(label));
    } while (tryConsume(","));
    if (!expect("]")) return false;
  }
  if (tryConsume("<{")) {
    --pos;
    ir::AttrDict props;
    if (!parseAttrDict(props) || !expect(">")) return false;
    for (auto& [k, v] : props) {
      op.propertyNames.push_back(k);
      op.attrs[k] = v;
    }
  }
  if (tryConsume("(")) {
    do {
      op.regions.push_back(std::make_unique<ir::Region>());
      op.regions.back()->parentOp = &op;
      if (!parseRegion(*op.regions.back(), {})) return false;
    } while (tryConsume(","));
    if (!expect(")")) return false;
  }
  if (!parseOptionalAttrDict(op.attrs)) return false;
  predicateToKeyword(op);
  std::vector<Type> ins;
  if (!expect(":") || !parseFunctionalType(ins, results)) return false;
  if (ins.size() != op.operands.size())
    return fail(op.name + ": " + std::to_string(op.operands.size()) + " operands but " +
                std::to_string(ins.size()) + " operand types");
  for (size_t i = 0; i < ins.size(); ++i)
    if (ins[i] != op.operands[i]->type)
      return fail(op.name + ": operand " + std::to_string(i) + " has type " +
                  op.operands[i]->type.str() + " but the op says " + ins[i].str());
  return true;
}

bool Parser::parseOp(ir::Block& blk) {
  // Result names: `%a`, `%a:3`, `%a, %b`.
  std::vector<std::string> names;
  std::vector<int> counts;
  if (peek() == '%') {
    do {
      if (!expect("%")) return false;
      std::string n = readValueName(*this);
      if (n.empty()) return fail("expected result name");
      int64_t cnt = 1;
      if (pos < text.size() && text[pos] == ':') {
        ++pos;
        if (!parseInt(cnt) || cnt < 1) return error.empty() ? fail("bad result count") : false;
      }
      names.push_back(n);
      counts.push_back(static_cast<int>(cnt));
    } while (tryConsume(","));
    if (!expect("=")) return false;
  }
  size_t opStart = pos;
  auto op = std::make_unique<ir::Operation>();
  op->parentBlock = &blk;
  op->textPos = file + ":" + std::to_string(lineOf(opStart));
  std::vector<Type> resultTypes;
  std::vector<std::string> flatNames;
  for (size_t i = 0; i < names.size(); ++i)
    for (int k = 0; k < counts[i]; ++k)
      flatNames.push_back(counts[i] == 1 ? names[i] : names[i] + "#" + std::to_string(k));
  if (peek() == '"') {
    if (!parseString(op->name) || !parseGeneric(*op, resultTypes)) return false;
  } else {
    if (peek() == 0) return fail("unexpected end of input (expected an operation)");
    if (!parseIdent(op->name)) return false;
    const ir::OpSyntax* syn = ir::lookupOpSyntax(op->name);
    if (!syn || syn->form == ir::Form::Generic) {
      pos = opStart;
      std::string where = lineUserLoc();
      error = "unsupported: " + op->name + " at " + where;
      return false;
    }
    if (!parseCustom(*op, *syn, resultTypes, flatNames)) return false;
  }
  if (!parseOptionalLoc(op->loc)) return false;
  if (resultTypes.size() != flatNames.size())
    return fail(op->name + " defines " + std::to_string(flatNames.size()) + " names but has " +
                std::to_string(resultTypes.size()) + " results");
  for (size_t i = 0; i < resultTypes.size(); ++i) {
    auto v = makeArg(flatNames[i], resultTypes[i]);
    v->def = op.get();
    v->index = static_cast<int>(i);
    v->loc = op->loc;
    if (!define(v.get())) return false;
    op->results.push_back(std::move(v));
  }
  for (auto& r : op->regions) r->parentOp = op.get();
  blk.ops.push_back(std::move(op));
  return true;
}

}  // namespace tvk::parser
