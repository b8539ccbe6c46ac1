// Implementation of the IR helpers declared in ir.h: type spelling and equality, location
// rendering, attribute spelling, operation accessors and module helpers.
#include "ir/ir.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

namespace tvk::ir {

// ---------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------

Type Type::i(int bits) {
  Type t;
  t.kind = Kind::Int;
  t.bits = bits;
  t.name = "i" + std::to_string(bits);
  return t;
}

/// Bit width of a float spelling (0 when unknown).
static int floatBits(const std::string& name) {
  if (name == "f16" || name == "bf16") return 16;
  if (name == "f32" || name == "tf32") return 32;
  if (name == "f64") return 64;
  if (name.rfind("f8", 0) == 0) return 8;
  if (name.rfind("f6", 0) == 0) return 6;
  if (name.rfind("f4", 0) == 0) return 4;
  return 0;
}

Type Type::f(const std::string& name) {
  Type t;
  t.kind = Kind::Float;
  t.bits = floatBits(name);
  t.name = name;
  return t;
}

Type Type::ptr(const Type& pointee, int addressSpace) {
  Type t;
  t.kind = Kind::Pointer;
  t.elem = std::make_shared<const Type>(pointee);
  t.addressSpace = addressSpace;
  return t;
}

Type Type::tensor(std::vector<int64_t> shape, const Type& elem) {
  Type t;
  t.kind = Kind::Tensor;
  t.shape = std::move(shape);
  t.elem = std::make_shared<const Type>(elem);
  return t;
}

int64_t Type::numel() const {
  if (!isTensor()) return 1;
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d <= 0) return 0;
    if (n > INT64_MAX / d) return INT64_MAX;
    n *= d;
  }
  return n;
}

std::string Type::str() const {
  switch (kind) {
    case Kind::Int:
    case Kind::Float:
      return name;
    case Kind::Index:
      return "index";
    case Kind::Pointer: {
      std::string s = "!tt.ptr<" + (elem ? elem->str() : std::string("?"));
      if (addressSpace != 1) s += ", " + std::to_string(addressSpace);
      return s + ">";
    }
    case Kind::Tensor: {
      std::string s = "tensor<";
      for (int64_t d : shape) s += std::to_string(d) + "x";
      return s + (elem ? elem->str() : std::string("?")) + ">";
    }
    case Kind::Opaque:
      return name;
    case Kind::None:
      return "none";
  }
  return "?";
}

bool Type::operator==(const Type& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case Kind::Int:
    case Kind::Float:
    case Kind::Opaque:
      return name == o.name;
    case Kind::Index:
    case Kind::None:
      return true;
    case Kind::Pointer:
      return addressSpace == o.addressSpace && elem && o.elem && *elem == *o.elem;
    case Kind::Tensor:
      return shape == o.shape && elem && o.elem && *elem == *o.elem;
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// Locations
// ---------------------------------------------------------------------------------------

std::string Location::userStr() const {
  const Location* best = file.empty() ? nullptr : this;
  for (const Location* l = caller.get(); l; l = l->caller.get())
    if (!l->file.empty()) best = l;
  if (!best) return "unknown";
  return best->file + ":" + std::to_string(best->line);
}

/// Escapes a string for an MLIR string literal.
static std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\0A";
    } else if (c == '\t') {
      out += "\\09";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// The location body without the `loc(...)` wrapper.
static std::string locBody(const Location& l) {
  std::string core;
  if (!l.file.empty())
    core = quote(l.file) + ":" + std::to_string(l.line) + ":" + std::to_string(l.col);
  std::string self;
  if (!l.name.empty())
    self = core.empty() ? quote(l.name) : quote(l.name) + "(" + core + ")";
  else
    self = core.empty() ? "unknown" : core;
  if (l.caller) return "callsite(" + self + " at " + locBody(*l.caller) + ")";
  return self;
}

std::string Location::mlir() const { return "loc(" + locBody(*this) + ")"; }

// ---------------------------------------------------------------------------------------
// Attributes
// ---------------------------------------------------------------------------------------

Attribute Attribute::integer(int64_t v, const Type& t) {
  Attribute a;
  a.kind = Kind::Int;
  a.i = v;
  a.type = t;
  return a;
}

Attribute Attribute::keyword(const std::string& k) {
  Attribute a;
  a.kind = Kind::Keyword;
  a.s = k;
  return a;
}

/// MLIR-style float text: `1.000000e+00` when six digits are exact, else shortest round trip.
static std::string floatText(double v, const Type& t) {
  char buf[64];
  if (!std::isfinite(v)) {  // MLIR spells NaN and infinities as hex bit patterns
    float f = static_cast<float>(v);
    uint32_t b32;
    std::memcpy(&b32, &f, 4);
    if (t.bits == 64) {
      uint64_t b64;
      std::memcpy(&b64, &v, 8);
      std::snprintf(buf, sizeof buf, "0x%016llX", static_cast<unsigned long long>(b64));
    } else if (t.name == "bf16") {
      std::snprintf(buf, sizeof buf, "0x%04X", b32 >> 16);
    } else if (t.name == "f16") {
      std::snprintf(buf, sizeof buf, "0x%04X", std::isnan(v) ? 0x7E00u : (v < 0 ? 0xFC00u : 0x7C00u));
    } else {
      std::snprintf(buf, sizeof buf, "0x%08X", b32);
    }
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.6e", v);
  bool f32 = t.kind == Type::Kind::Float && t.bits <= 32;
  double back = std::strtod(buf, nullptr);
  if (f32 ? static_cast<float>(back) == static_cast<float>(v) : back == v) return buf;
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*E", prec, v);
    back = std::strtod(buf, nullptr);
    if (f32 ? static_cast<float>(back) == static_cast<float>(v) : back == v) break;
  }
  return buf;
}

/// Element text of an Int/Float/Bool attribute without its type.
static std::string scalarText(const Attribute& a) {
  switch (a.kind) {
    case Attribute::Kind::Bool:
      return a.i ? "true" : "false";
    case Attribute::Kind::Int:
      if (a.type.kind == Type::Kind::Int && a.type.bits == 1) return a.i ? "true" : "false";
      return std::to_string(a.i);
    case Attribute::Kind::Float:
      return a.s.empty() ? floatText(a.f, a.type) : a.s;
    default:
      return a.str();
  }
}

/// Writes dense elements as nested lists following `shape` from dimension `d`.
static void denseNested(const Attribute& a, const std::vector<int64_t>& shape, size_t d,
                        size_t& next, std::string& out) {
  if (d == shape.size()) {
    out += scalarText(a.elems[next++]);
    return;
  }
  out += "[";
  for (int64_t k = 0; k < shape[d]; ++k) {
    if (k) out += ", ";
    denseNested(a, shape, d + 1, next, out);
  }
  out += "]";
}

std::string attrKey(const std::string& k) {
  bool bare = !k.empty() && (std::isalpha(static_cast<unsigned char>(k[0])) || k[0] == '_');
  for (char c : k)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '$')) bare = false;
  return bare ? k : quote(k);
}

std::string Attribute::str() const {
  switch (kind) {
    case Kind::Unit:
      return "unit";
    case Kind::Bool:
      return i ? "true" : "false";
    case Kind::Int:
      if (type.kind == Type::Kind::Int && type.bits == 1) return i ? "true" : "false";
      if (type.kind == Type::Kind::None) return std::to_string(i);
      return std::to_string(i) + " : " + type.str();
    case Kind::Float:
      if (type.kind == Type::Kind::None) return scalarText(*this);
      return scalarText(*this) + " : " + type.str();
    case Kind::String:
      return quote(s);
    case Kind::Keyword:
    case Kind::Opaque:
      return s;
    case Kind::Array: {
      std::string out;
      if (denseArray) {
        out = "array<" + type.str();
        for (size_t k = 0; k < elems.size(); ++k) out += (k ? ", " : ": ") + scalarText(elems[k]);
        return out + ">";
      }
      out = "[";
      for (size_t k = 0; k < elems.size(); ++k) out += (k ? ", " : "") + elems[k].str();
      return out + "]";
    }
    case Kind::Dense: {
      std::string out = "dense<";
      if (!s.empty()) {
        out += s;  // kept verbatim (hex blob form)
      } else if (elems.size() == 1) {
        out += scalarText(elems[0]);
      } else {
        size_t next = 0;
        if (static_cast<int64_t>(elems.size()) == type.numel() && type.isTensor())
          denseNested(*this, type.shape, 0, next, out);
        else
          for (size_t k = 0; k < elems.size(); ++k) out += (k ? ", " : "") + scalarText(elems[k]);
      }
      return out + "> : " + type.str();
    }
    case Kind::TypeAttr:
      return type.str();
    case Kind::Dict: {
      std::string out = "{";
      bool first = true;
      if (dict)
        for (const auto& [k, v] : *dict) {
          out += (first ? "" : ", ") + attrKey(k);
          if (v.kind != Kind::Unit) out += " = " + v.str();
          first = false;
        }
      return out + "}";
    }
  }
  return "?";
}

// ---------------------------------------------------------------------------------------
// Operations and modules
// ---------------------------------------------------------------------------------------

const Attribute* Operation::attr(const std::string& n) const {
  auto it = attrs.find(n);
  return it == attrs.end() ? nullptr : &it->second;
}

int64_t Operation::intAttr(const std::string& n, int64_t dflt) const {
  const Attribute* a = attr(n);
  if (!a || (a->kind != Attribute::Kind::Int && a->kind != Attribute::Kind::Bool)) return dflt;
  return a->i;
}

std::string Operation::strAttr(const std::string& n, const std::string& dflt) const {
  const Attribute* a = attr(n);
  if (!a || (a->kind != Attribute::Kind::String && a->kind != Attribute::Kind::Keyword &&
             a->kind != Attribute::Kind::Opaque))
    return dflt;
  return a->s;
}

Block& Operation::body(int i) const { return *regions[i]->blocks.front(); }

std::string Operation::where() const {
  std::string user = loc.userStr();
  return name + " at " + (user == "unknown" && !textPos.empty() ? textPos : user);
}

Operation* Module::kernel() const {
  for (const auto& op : ops)
    if (op->name == "tt.func" && op->strAttr("sym_visibility", "public") == "public" &&
        !op->regions.empty() && !op->regions[0]->blocks.empty())
      return op.get();
  return nullptr;
}

const Attribute* constantValue(const Operation& constant) {
  const Attribute* a = constant.attr("value");
  if (a && a->isSplat()) a = &a->elems[0];
  return a;
}

std::string funcName(const Operation& func) { return func.strAttr("sym_name"); }

size_t indexInBlock(const Operation& op) {
  const auto& ops = op.parentBlock->ops;
  return static_cast<size_t>(std::find_if(ops.begin(), ops.end(), [&](const auto& o) { return o.get() == &op; }) -
                             ops.begin());
}

Value* appendIterArg(Operation& forOp, const Type& t, Value* init, const std::string& name, const Location& loc) {
  Block* body = &forOp.body();
  auto arg = std::make_unique<Value>();
  arg->name = name;
  arg->type = t;
  arg->ownerBlock = body;
  arg->index = static_cast<int>(body->args.size());
  arg->loc = loc;
  Value* carried = arg.get();
  body->args.push_back(std::move(arg));
  auto res = std::make_unique<Value>();
  res->name = name + "r";
  res->type = t;
  res->def = &forOp;
  res->index = static_cast<int>(forOp.results.size());
  res->loc = loc;
  forOp.results.push_back(std::move(res));
  forOp.operands.push_back(init);
  return carried;
}

Value* insertOpWithResult(Block* block, size_t& pos, const std::string& name, std::vector<Value*> operands,
                          const Type& type, AttrDict attrs, const std::string& valueName, const Location& loc) {
  auto o = std::make_unique<Operation>();
  o->name = name;
  o->operands = std::move(operands);
  o->attrs = std::move(attrs);
  o->loc = loc;
  o->parentBlock = block;
  auto r = std::make_unique<Value>();
  r->name = valueName;
  r->type = type;
  r->def = o.get();
  r->loc = loc;
  Value* v = r.get();
  o->results.push_back(std::move(r));
  block->ops.insert(block->ops.begin() + static_cast<long>(pos++), std::move(o));
  return v;
}

}  // namespace tvk::ir
