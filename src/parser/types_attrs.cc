// Type and attribute grammar of the TTIR parser.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "parser/parser_impl.h"
#include "support/parse_int.h"

namespace tvk::parser {

using ir::Attribute;
using ir::Type;

/// True for the float type spellings MLIR knows.
static bool isFloatName(const std::string& n) {
  static const char* names[] = {"f16", "bf16", "f32", "f64", "tf32", "f80", "f128"};
  for (const char* k : names)
    if (n == k) return true;
  return n.rfind("f8E", 0) == 0 || n.rfind("f6E", 0) == 0 || n.rfind("f4E", 0) == 0;
}

bool Parser::parseAngleText(std::string& out) {
  skipWs();
  if (pos >= text.size() || text[pos] != '<') return fail("expected '<'");
  size_t start = pos;
  int level = 0;
  while (pos < text.size()) {
    char c = text[pos++];
    if (c == '"') {  // skip strings inside
      while (pos < text.size() && text[pos] != '"') pos += text[pos] == '\\' ? 2 : 1;
      ++pos;
      continue;
    }
    if (c == '<') ++level;
    if (c == '>' && text[pos - 2] != '-' && --level == 0) {
      out = text.substr(start, pos - start);
      return true;
    }
    if (c == '\n' || c == '{' || c == '}') break;
  }
  return fail("unbalanced '<'");
}

bool Parser::parseType(Type& t) {
  if (++typeDepth > 64) return fail("type nested too deeply");
  struct Guard {
    int& d;
    ~Guard() { --d; }
  } guard{typeDepth};
  skipWs();
  if (tryConsume("!tt.ptr<")) {
    Type pointee;
    if (!parseType(pointee)) return false;
    int64_t as = 1;
    if (tryConsume(",") && !parseInt(as)) return false;
    if (as < 0 || as > INT32_MAX) return fail("pointer address space " + std::to_string(as) + " is out of range");
    if (!expect(">")) return false;
    t = Type::ptr(pointee, static_cast<int>(as));
    return true;
  }
  if (peek() == '!') {  // other dialect types are kept as text
    size_t start = pos++;
    while (pos < text.size() && (identChar(text[pos]))) ++pos;
    std::string body;
    if (peek() == '<' && !parseAngleText(body)) return false;
    t = Type();
    t.kind = Type::Kind::Opaque;
    t.name = text.substr(start, pos - start);
    t.name.erase(std::remove_if(t.name.begin(), t.name.end(), [](char c) { return c == '\n'; }),
                 t.name.end());
    return true;
  }
  if (tryConsume("tensor<")) {
    std::vector<int64_t> shape;
    for (;;) {
      skipWs();
      if (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
        int64_t d;
        if (!parseInt(d) || !expect("x")) return false;
        shape.push_back(d);
        continue;
      }
      if (pos < text.size() && text[pos] == '?') return fail("dynamic tensor shapes are not supported");
      break;
    }
    if (shape.size() > static_cast<size_t>(ir::kMaxTensorRank))
      return fail("tensor of rank " + std::to_string(shape.size()) + ": the limit is " +
                  std::to_string(ir::kMaxTensorRank));
    int64_t numel = 1;
    for (int64_t d : shape) {
      if (d > ir::kMaxTensorNumel || numel * d > ir::kMaxTensorNumel)
        return fail("tensor shape with more than " + std::to_string(ir::kMaxTensorNumel) +
                    " elements (Triton's TRITON_MAX_TENSOR_NUMEL)");
      numel *= d;
    }
    Type elem;
    if (!parseType(elem) || !expect(">")) return false;
    t = Type::tensor(std::move(shape), elem);
    return true;
  }
  skipWs();
  size_t start = pos;
  while (pos < text.size() && std::isalnum(static_cast<unsigned char>(text[pos]))) ++pos;
  std::string n = text.substr(start, pos - start);
  if (n.size() > 1 && n[0] == 'i' && std::all_of(n.begin() + 1, n.end(), ::isdigit)) {
    // MLIR's limit on integer widths (IntegerType::kMaxWidth).
    Result<int64_t> bits = parseInt64(std::string_view(n).substr(1), 1, (1 << 24) - 1);
    if (!bits.ok()) return fail("integer type " + shortText(n) + " is not supported (widths 1.." + std::to_string((1 << 24) - 1) + ")");
    t = Type::i(static_cast<int>(*bits));
    return true;
  }
  if (n == "index") {
    t = Type();
    t.kind = Type::Kind::Index;
    t.bits = 64;
    return true;
  }
  if (n == "none") {
    t = Type();
    return true;
  }
  if (isFloatName(n)) {
    t = Type::f(n);
    return true;
  }
  pos = start;
  return fail("unknown type '" + (n.empty() ? text.substr(pos, 12) : n) + "'");
}

bool Parser::parseBareTypeList(std::vector<Type>& out) {
  do {
    Type t;
    if (!parseType(t)) return false;
    out.push_back(t);
  } while (tryConsume(","));
  return true;
}

bool Parser::parseTypeList(std::vector<Type>& out) {
  if (tryConsume("(")) {
    if (tryConsume(")")) return true;
    return parseBareTypeList(out) && expect(")");
  }
  Type t;
  if (!parseType(t)) return false;
  out.push_back(t);
  return true;
}

bool Parser::parseFunctionalType(std::vector<Type>& ins, std::vector<Type>& outs) {
  if (!expect("(")) return false;
  if (!tryConsume(")") && !(parseBareTypeList(ins) && expect(")"))) return false;
  return expect("->") && parseTypeList(outs);
}

bool Parser::parseAngleType(Type& t) {
  Type inner;
  if (!expect("<") || !parseType(inner) || !expect(">")) return false;
  t = Type::ptr(inner);
  return true;
}

/// A raw numeric/bool literal (before its type is known).
struct Literal {
  std::string text;  ///< as written
  bool isFloat = false;
  bool isHex = false;
  bool isBool = false;
};

/// Reads a number / hex / true / false literal at the cursor.
static bool readLiteral(Parser& p, Literal& lit) {
  p.skipWs();
  const std::string& t = p.text;
  size_t s = p.pos;
  if (p.tryKeyword("true") || p.tryKeyword("false")) {
    lit.text = t.substr(s, p.pos - s);
    lit.isBool = true;
    return true;
  }
  size_t i = s;
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
  if (t.compare(i, 2, "0x") == 0) {
    i += 2;
    while (i < t.size() && std::isxdigit(static_cast<unsigned char>(t[i]))) ++i;
    lit.isHex = true;
  } else {
    size_t digits = i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
    if (i == digits) return p.fail("expected a number");
    if (i < t.size() && t[i] == '.') {
      lit.isFloat = true;
      ++i;
      while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
    }
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
      lit.isFloat = true;
      ++i;
      if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
      while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
    }
  }
  lit.text = t.substr(s, i - s);
  p.pos = i;
  return true;
}

/// Decodes IEEE half bits.
static double halfToDouble(uint32_t h) {
  int sign = (h >> 15) & 1, e = (h >> 10) & 31, m = h & 1023;
  double v;
  if (e == 0) v = std::ldexp(m, -24);
  else if (e == 31) v = m ? NAN : INFINITY;
  else v = std::ldexp(m + 1024, e - 25);
  return sign ? -v : v;
}

/// Decodes an 8-bit float: `fnuz` formats have one NaN (0x80) and no infinity; E4M3FN has
/// NaN at all-ones and no infinity; E5M2 is IEEE-like.
static double fp8ToDouble(uint32_t v, const std::string& name) {
  int eb = name.rfind("f8E5M2", 0) == 0 ? 5 : 4, mb = 7 - eb;
  bool fnuz = name.find("FNUZ") != std::string::npos;
  int bias = (1 << (eb - 1)) - 1 + (fnuz ? 1 : 0);
  if (name == "f8E4M3B11FNUZ") bias = 11;
  int sign = (v >> 7) & 1, e = (v >> mb) & ((1 << eb) - 1), m = v & ((1 << mb) - 1);
  if (fnuz && v == 0x80) return NAN;
  if (!fnuz && eb == 4 && e == 15 && m == 7) return NAN;
  if (!fnuz && eb == 5 && e == 31) return m ? NAN : (sign ? -INFINITY : INFINITY);
  double x = e == 0 ? std::ldexp(m, 1 - bias - mb) : std::ldexp(m + (1 << mb), e - bias - mb);
  return sign ? -x : x;
}

/// Turns a literal into a typed scalar attribute.
static bool literalAttr(Parser& p, const Literal& lit, const Type& type, Attribute& a) {
  a = Attribute();
  a.type = type;
  if (lit.isBool) {
    a.kind = Attribute::Kind::Bool;
    a.i = lit.text == "true";
    if (type.kind == Type::Kind::None) a.type = Type::i(1);
    return true;
  }
  const Type& st = type.scalar();
  uint64_t bits = 0;
  if (lit.isHex) {  // `0x...`: the bit pattern of the type (no sign; at most its width)
    if (lit.text.rfind("0x", 0) != 0) return p.fail("signed hexadecimal literal " + shortText(lit.text));
    int width = st.isInt() || st.isFloat() ? st.bits : 64;
    uint64_t max = width >= 64 || width <= 0 ? UINT64_MAX : (uint64_t{1} << width) - 1;
    Result<uint64_t> v = parseUint64(std::string_view(lit.text).substr(2), max, 16);
    if (!v.ok()) return p.fail("hexadecimal literal for " + type.str() + ": " + v.status().message());
    bits = *v;
  }
  if (st.isFloat() || lit.isFloat) {
    a.kind = Attribute::Kind::Float;
    a.s = lit.text;
    if (lit.isHex) {
      if (st.bits == 64) {
        std::memcpy(&a.f, &bits, 8);
      } else if (st.bits == 32 || st.name == "bf16") {
        uint32_t b = st.bits == 32 ? static_cast<uint32_t>(bits) : static_cast<uint32_t>(bits) << 16;
        float f;
        std::memcpy(&f, &b, 4);
        a.f = f;
      } else if (st.name == "f16") {
        a.f = halfToDouble(static_cast<uint32_t>(bits));
      } else if (st.bits == 8) {
        a.f = fp8ToDouble(static_cast<uint32_t>(bits) & 0xFF, st.name);
      } else {
        return p.fail("hex value for unsupported float type " + st.name);
      }
    } else {
      a.f = std::strtod(lit.text.c_str(), nullptr);
    }
    return true;
  }
  a.kind = Attribute::Kind::Int;
  if (lit.isHex) {
    a.i = static_cast<int64_t>(bits);
  } else {
    std::string_view digits = lit.text;
    if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
    Result<int64_t> v = parseInt64(digits);
    if (!v.ok()) return p.fail(v.status().message());
    a.i = *v;
  }
  // Values of iN (N < 64) must fit N bits, signed or unsigned; they are kept sign-extended.
  if (st.isInt() && st.kind == Type::Kind::Int && st.bits > 0 && st.bits < 64) {
    int64_t lo = -(int64_t{1} << (st.bits - 1));
    uint64_t hiU = (uint64_t{1} << st.bits) - 1;
    if (a.i < lo || (a.i > 0 && static_cast<uint64_t>(a.i) > hiU))
      return p.fail("integer " + shortText(lit.text) + " does not fit " + st.str());
    uint64_t u = static_cast<uint64_t>(a.i) & hiU;
    if (u >> (st.bits - 1)) u |= ~hiU;
    a.i = static_cast<int64_t>(u);
  }
  return true;
}

/// Reads dense<...> content: nested lists of literals, flattened.
static bool readDenseElems(Parser& p, std::vector<Literal>& out, int depth) {
  if (depth > 16) return p.fail("dense literal nested too deeply");
  if (p.tryConsume("[")) {
    if (p.tryConsume("]")) return true;
    do {
      if (!readDenseElems(p, out, depth + 1)) return false;
    } while (p.tryConsume(","));
    return p.expect("]");
  }
  if (p.peek() == '(') return p.fail("complex dense literals are not supported");
  Literal lit;
  if (!readLiteral(p, lit)) return false;
  out.push_back(lit);
  return true;
}

/// Decodes MLIR's hex-blob dense form (`dense<"0x0100000002000000"> : tensor<2xi32>`,
/// little-endian elements) into literals; leaves other strings as text.
static bool decodeBlob(Parser& p, Attribute& a, std::vector<Literal>& lits) {
  const std::string& s = a.s;
  if (s.size() < 4 || s.compare(0, 3, "\"0x") != 0) return true;
  std::string hex = s.substr(3, s.size() - 4);
  const Type& et = a.type.scalar();
  if (hex.size() % 2 || !(et.isInt() || et.isFloat()) || et.bits == 0) return true;
  if (et.bits > 64 || (et.bits > 8 && et.bits % 8)) return p.fail("dense blob of " + et.str() + " elements is not supported");
  for (char h : hex)
    if (!std::isxdigit(static_cast<unsigned char>(h))) return p.fail("dense blob has a non-hex digit");
  size_t esz = et.bits <= 8 ? 1 : static_cast<size_t>(et.bits) / 8;
  size_t nbytes = hex.size() / 2;
  if (!a.type.isTensor() && nbytes != esz)
    return p.fail("dense blob has " + std::to_string(nbytes) + " bytes, type " + a.type.str() + " needs " + std::to_string(esz));
  if (nbytes != esz && nbytes != esz * static_cast<size_t>(a.type.numel()))
    return p.fail("dense blob has " + std::to_string(nbytes) + " bytes, type " + a.type.str() + " needs " +
                  std::to_string(esz * a.type.numel()));
  for (size_t off = 0; off < nbytes; off += esz) {
    uint64_t v = 0;
    for (size_t b = 0; b < esz; ++b) {
      Result<uint64_t> byte = parseUint64(std::string_view(hex).substr(2 * (off + b), 2), 255, 16);
      if (!byte.ok()) return p.fail("dense blob: " + byte.status().message());
      v |= *byte << (8 * b);
    }
    Literal lit;
    if (et.isFloat()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%0*llX", static_cast<int>(2 * esz), static_cast<unsigned long long>(v));
      lit.text = buf;
      lit.isHex = true;
    } else if (et.bits == 1) {
      lit.text = v ? "true" : "false";
      lit.isBool = true;
    } else {
      int64_t x = static_cast<int64_t>(v);
      if (et.bits < 64 && (v >> (et.bits - 1)) & 1) x = static_cast<int64_t>(v | (~uint64_t{0} << et.bits));
      lit.text = std::to_string(x);
    }
    lits.push_back(lit);
  }
  a.s.clear();
  return true;
}

bool Parser::parseAttr(Attribute& a) {
  if (++attrDepth > 64) return fail("attribute nested too deeply");
  struct Guard {
    int& d;
    ~Guard() { --d; }
  } guard{attrDepth};
  a = Attribute();
  char c = peek();
  if (c == '"') {
    a.kind = Attribute::Kind::String;
    return parseString(a.s);
  }
  if (c == '[') {
    ++pos;
    a.kind = Attribute::Kind::Array;
    if (tryConsume("]")) return true;
    do {
      Attribute e;
      if (!parseAttr(e)) return false;
      a.elems.push_back(std::move(e));
    } while (tryConsume(","));
    return expect("]");
  }
  if (c == '{') {
    a.kind = Attribute::Kind::Dict;
    a.dict = std::make_shared<ir::AttrDict>();
    return parseAttrDict(*a.dict);
  }
  if (c == '@') {
    a.kind = Attribute::Kind::Opaque;
    std::string sym;
    if (!parseSymbol(sym)) return false;
    a.s = "@\"" + sym + "\"";
    return true;
  }
  if (c == '#') {
    size_t start = pos++;
    while (pos < text.size() && identChar(text[pos])) ++pos;
    std::string body;
    if (pos < text.size() && text[pos] == '<' && !parseAngleText(body)) return false;
    a.kind = Attribute::Kind::Opaque;
    a.s = text.substr(start, pos - start);
    return true;
  }
  if (tryKeyword("unit")) return true;
  if (tryConsume("array<")) {
    a.kind = Attribute::Kind::Array;
    a.denseArray = true;
    if (!parseType(a.type)) return false;
    if (tryConsume(":")) {
      do {
        Literal lit;
        Attribute e;
        if (!readLiteral(*this, lit) || !literalAttr(*this, lit, a.type, e)) return false;
        e.type = Type();
        a.elems.push_back(e);
      } while (tryConsume(","));
    }
    return expect(">");
  }
  if (tryConsume("dense<")) {
    a.kind = Attribute::Kind::Dense;
    std::vector<Literal> lits;
    if (peek() == '"') {
      if (!parseString(a.s)) return false;
      a.s = "\"" + a.s + "\"";
    } else if (peek() != '>' && !readDenseElems(*this, lits, 0)) {
      return false;
    }
    if (!expect(">") || !expect(":") || !parseType(a.type)) return false;
    if (!a.s.empty() && !decodeBlob(*this, a, lits)) return false;
    for (const Literal& lit : lits) {
      Attribute e;
      if (!literalAttr(*this, lit, a.type.scalar(), e)) return false;
      a.elems.push_back(e);
    }
    if (a.elems.size() > 1 && static_cast<int64_t>(a.elems.size()) != a.type.numel())
      return fail("dense literal has " + std::to_string(a.elems.size()) + " elements, type " +
                  a.type.str() + " needs " + std::to_string(a.type.numel()));
    return true;
  }
  if (c == '-' || c == '+' || std::isdigit(static_cast<unsigned char>(c)) ||
      text.compare(pos, 4, "true") == 0 || text.compare(pos, 5, "false") == 0) {
    Literal lit;
    if (!readLiteral(*this, lit)) return false;
    Type t;
    if (!lit.isBool && tryConsume(":") && !parseType(t)) return false;
    return literalAttr(*this, lit, t, a);
  }
  // A type used as an attribute, or an opaque `name<...>` attribute.
  size_t start = pos;
  Type t;
  if (parseType(t)) {
    a.kind = Attribute::Kind::TypeAttr;
    a.type = t;
    return true;
  }
  error.clear();
  pos = start;
  std::string id;
  if (!parseIdent(id)) return false;
  a.kind = Attribute::Kind::Keyword;
  a.s = id;
  if (peek() == '<') {
    std::string body;
    if (!parseAngleText(body)) return false;
    a.kind = Attribute::Kind::Opaque;
    a.s = text.substr(start, pos - start);
  }
  return true;
}

bool Parser::parseAttrDict(ir::AttrDict& d) {
  if (!expect("{")) return false;
  if (tryConsume("}")) return true;
  do {
    std::string key;
    if (peek() == '"') {
      if (!parseString(key)) return false;
    } else if (!parseIdent(key)) {
      return false;
    }
    Attribute v;
    if (tryConsume("=")) {
      if (!parseAttr(v)) return false;
    }
    d[key] = std::move(v);
  } while (tryConsume(","));
  return expect("}");
}

bool Parser::parseOptionalAttrDict(ir::AttrDict& d) {
  if (peek() != '{') return true;
  // An attr-dict starts with `{ident =`, `{ident,`, `{ident}` or `{}`; a region with an op.
  size_t save = pos;
  ++pos;
  skipWs();
  if (pos < text.size() && text[pos] == '}') {
    ++pos;
    return true;
  }
  std::string key;
  bool isDict = false;
  if (pos < text.size() && (std::isalpha(static_cast<unsigned char>(text[pos])) || text[pos] == '_' || text[pos] == '"')) {
    if (text[pos] == '"') {
      isDict = parseString(key);
    } else {
      parseIdent(key);
      isDict = true;
    }
    char n = peek();
    isDict = isDict && (n == '=' || n == ',' || n == '}');
  }
  error.clear();
  pos = save;
  if (!isDict) return true;
  return parseAttrDict(d);
}

}  // namespace tvk::parser
