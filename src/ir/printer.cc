// TTIR printer: module structure, values, generic form. Custom forms are in print_forms.cc.
#include "ir/printer.h"

#include <cctype>

#include "ir/printer_impl.h"
#include "support/parse_int.h"

namespace tvk::ir {

/// True for names made of digits only.
static bool isNumeric(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

/// True when `n` is visible in any open scope.
static bool taken(const std::vector<std::set<std::string>>& scopes, const std::string& n) {
  for (const auto& s : scopes)
    if (s.count(n)) return true;
  return false;
}

/// Picks a unique base name (for a value or a multi-result group).
static std::string uniqueBase(Printer& p, std::string base) {
  if (base.empty() || isNumeric(base)) {
    if (!base.empty() && !taken(p.scopes, base)) {
      Result<int64_t> n = parseInt64(base.substr(0, 9), 0, 999999999);  // 9 digits: no overflow
      if (n.ok()) p.nextNumber = std::max(p.nextNumber, static_cast<int>(*n) + 1);
      return base;
    }
    while (taken(p.scopes, std::to_string(p.nextNumber))) ++p.nextNumber;
    return std::to_string(p.nextNumber++);
  }
  if (!taken(p.scopes, base)) return base;
  for (int k = 0;; ++k) {
    std::string cand = base + "_" + std::to_string(k);
    if (!taken(p.scopes, cand)) return cand;
  }
}

std::string Printer::define(const Value* v) { return defineAs(v, v->name); }

std::string Printer::defineAs(const Value* v, const std::string& want) {
  std::string n = uniqueBase(*this, want);
  scopes.back().insert(n);
  names[v] = n;
  return "%" + n;
}

std::string Printer::ref(const Value* v) {
  auto it = names.find(v);
  if (it == names.end()) return "%<<undefined " + v->name + ">>";
  return "%" + it->second;
}

std::string Printer::refs(const Operation& o, size_t from, size_t to) {
  std::string s;
  for (size_t i = from; i < to && i < o.operands.size(); ++i)
    s += (i > from ? ", " : "") + ref(o.operands[i]);
  return s;
}

std::string Printer::attrDict(const Operation& o, const std::set<std::string>& skip) {
  std::string s;
  for (const auto& [k, v] : o.attrs) {
    if (skip.count(k)) continue;
    s += (s.empty() ? "" : ", ") + attrKey(k);
    if (v.kind != Attribute::Kind::Unit) s += " = " + v.str();
  }
  return s.empty() ? "" : " {" + s + "}";
}

std::string Printer::types(const std::vector<Value*>& vs, size_t from) {
  std::string s;
  for (size_t i = from; i < vs.size(); ++i) s += (i > from ? ", " : "") + vs[i]->type.str();
  return s;
}

std::string Printer::typeList(const std::vector<Type>& ts, bool parenSingle) {
  if (ts.size() == 1 && !parenSingle) return ts[0].str();
  std::string s = "(";
  for (size_t i = 0; i < ts.size(); ++i) s += (i ? ", " : "") + ts[i].str();
  return s + ")";
}

std::string Printer::functionalType(const Operation& o) {
  std::vector<Type> ins, outs;
  for (Value* v : o.operands) ins.push_back(v->type);
  for (const auto& r : o.results) outs.push_back(r->type);
  return typeList(ins, true) + " -> " + typeList(outs);
}

std::string Printer::argList(const Block& b, size_t from) {
  std::string s;
  for (size_t i = from; i < b.args.size(); ++i) {
    const Value* a = b.args[i].get();
    s += (i > from ? ", " : "") + define(a) + ": " + a->type.str() + loc(a->loc);
  }
  return s;
}

std::string Printer::symbol(const std::string& name) {
  bool bare = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '$')) bare = false;
  if (bare) return "@" + name;
  Attribute a;
  a.kind = Attribute::Kind::String;
  a.s = name;
  return "@" + a.str();
}

void Printer::region(const Region& r, int indent, bool entryArgs, bool terminators) {
  std::string pad(indent, ' ');
  for (size_t bi = 0; bi < r.blocks.size(); ++bi) {
    const Block& b = *r.blocks[bi];
    std::string label = b.label.empty() ? "bb" + std::to_string(bi) : b.label;
    if (bi > 0 || (entryArgs && !b.args.empty())) {
      out += pad + "^" + label;
      if (!b.args.empty()) out += "(" + argList(b) + ")";
      out += ":\n";
    }
    for (size_t k = 0; k < b.ops.size(); ++k) {
      const Operation& o = *b.ops[k];
      bool last = k + 1 == b.ops.size();
      if (last && !terminators && o.name == "scf.yield" && o.operands.empty() && o.attrs.empty())
        continue;
      op(o, indent + 2);
    }
  }
}

void Printer::generic(const Operation& o, int indent) {
  out += "\"" + o.name + "\"(" + refs(o) + ")";
  if (!o.successors.empty()) {
    out += "[";
    for (size_t i = 0; i < o.successors.size(); ++i) {
      const Block* b = o.successors[i];
      size_t k = 0;
      if (b->parentRegion)
        while (k < b->parentRegion->blocks.size() && b->parentRegion->blocks[k].get() != b) ++k;
      out += (i ? ", ^" : "^") + (b->label.empty() ? "bb" + std::to_string(k) : b->label);
    }
    out += "]";
  }
  std::set<std::string> props(o.propertyNames.begin(), o.propertyNames.end());
  std::string p;
  for (const auto& [k, v] : o.attrs) {
    if (!props.count(k)) continue;
    p += (p.empty() ? "" : ", ") + attrKey(k);
    if (v.kind != Attribute::Kind::Unit) p += " = " + v.str();
  }
  if (!p.empty()) out += " <{" + p + "}>";
  if (!o.regions.empty()) {
    out += " (";
    for (size_t i = 0; i < o.regions.size(); ++i) {
      out += i ? ", {\n" : "{\n";
      scopes.emplace_back();
      region(*o.regions[i], indent, true, true);
      scopes.pop_back();
      out += std::string(indent, ' ') + "}";
    }
    out += ")";
  }
  out += attrDict(o, props) + " : " + functionalType(o);
}

void Printer::op(const Operation& o, int indent) {
  out += std::string(indent, ' ');
  if (!o.results.empty()) {
    // `%acc:3` when the results are `acc#0..acc#2`, else a comma-separated list.
    bool group = o.results.size() > 1;
    std::string base;
    if (group) {
      const std::string& n0 = o.results[0]->name;
      size_t h = n0.rfind('#');
      base = h == std::string::npos ? "" : n0.substr(0, h);
      for (size_t i = 0; i < o.results.size() && group; ++i)
        group = !base.empty() && o.results[i]->name == base + "#" + std::to_string(i);
    }
    if (group) {
      std::string b = uniqueBase(*this, base);
      scopes.back().insert(b);
      for (size_t i = 0; i < o.results.size(); ++i)
        names[o.results[i].get()] = b + "#" + std::to_string(i);
      out += "%" + b + ":" + std::to_string(o.results.size());
    } else {
      for (size_t i = 0; i < o.results.size(); ++i) {
        std::string n = o.results[i]->name;
        n = n.substr(0, n.find('#'));  // a lone `x#1` prints as `x`
        out += (i ? ", " : "") + defineAs(o.results[i].get(), n);
      }
    }
    out += " = ";
  }
  const OpSyntax* syn = lookupOpSyntax(o.name);
  if (!syn || syn->form == Form::Generic || !printCustom(*this, o, *syn, indent)) {
    generic(o, indent);
  }
  out += loc(o.loc) + "\n";
}

std::string printModule(const Module& m, bool withLocations) {
  Printer p(withLocations);
  p.out += "module";
  if (!m.attrs.empty()) {
    Operation tmp;
    tmp.attrs = m.attrs;
    p.out += " attributes" + p.attrDict(tmp);
  }
  p.out += " {\n";
  for (const auto& o : m.ops) p.op(*o, 2);
  p.out += "}" + p.loc(m.loc) + "\n";
  return p.out;
}

std::string printOp(const Operation& o, bool withLocations, int indent) {
  Printer p(withLocations);
  // Operands defined outside `o` print with their own names.
  std::vector<const Operation*> stack{&o};
  while (!stack.empty()) {
    const Operation* cur = stack.back();
    stack.pop_back();
    for (Value* v : cur->operands)
      if (!p.names.count(v)) p.names[v] = v->name;
    for (const auto& r : cur->regions)
      for (const auto& b : r->blocks)
        for (const auto& x : b->ops) stack.push_back(x.get());
  }
  p.op(o, indent);
  return p.out;
}

}  // namespace tvk::ir
