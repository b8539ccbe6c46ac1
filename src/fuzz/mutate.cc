// TTIR text mutations (see mutate.h): one small function per mutation kind, in a table.
#include "fuzz/mutate.h"

#include <algorithm>
#include <cctype>

namespace tvk::fuzz {

uint64_t Rng::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t iterationSeed(uint64_t seed, uint64_t iteration) {
  Rng r(seed ^ (iteration * 0xD1B54A32D192ED03ull));
  r.next();
  return r.next();
}

const std::vector<std::string>& interestingIntegers() {
  static const std::vector<std::string> kValues = {
      "0", "1", "-1", "2", "3", "7", "8", "15", "16", "17", "31", "32", "33", "63", "64", "127",
      "128", "255", "256", "1023", "1024", "4096", "65535", "65536", "1048576", "1048577",
      "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295", "4294967296",
      "9223372036854775807", "9223372036854775808", "-9223372036854775808",
      "-9223372036854775809", "18446744073709551615", "18446744073709551616",
      "99999999999999999999999999999999", "-99999999999999999999999999999999"};
  return kValues;
}

namespace {

/// A half-open span of the text.
struct Span {
  size_t begin, end;
};

/// Line spans (without their newline).
std::vector<Span> lines(const std::string& s) {
  std::vector<Span> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '\n') {
      if (i > start || i < s.size()) out.push_back({start, i});
      start = i + 1;
    }
  }
  return out;
}

std::string replaceSpan(const std::string& s, Span sp, const std::string& with) {
  return s.substr(0, sp.begin) + with + s.substr(sp.end);
}

bool isIdent(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '$';
}

/// Spans of decimal integer tokens (digit runs not inside identifiers or hex literals, with a
/// leading '-' when present).
std::vector<Span> intTokens(const std::string& s) {
  std::vector<Span> out;
  for (size_t i = 0; i < s.size();) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) {
      ++i;
      continue;
    }
    size_t b = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    bool inIdent = b > 0 && (std::isalpha(static_cast<unsigned char>(s[b - 1])) || s[b - 1] == '_');
    bool hex = i < s.size() && (s[i] == 'x' && i == b + 1 && s[b] == '0');
    if (hex) {
      while (i < s.size() && std::isxdigit(static_cast<unsigned char>(s[i]))) ++i;
      continue;
    }
    // `i32` and `tensor<4x8x` dims count as tokens too; value names (`%12`, `%x#1`) do not.
    if (b > 0 && (s[b - 1] == '%' || s[b - 1] == '#' || s[b - 1] == ':')) continue;
    if (b > 0 && s[b - 1] == '-') --b;
    // Widths (`i32`, not `%c1_i32`) and dimensions (`4x8x`, not `%idx8`) are tokens too.
    bool width = b >= 2 && s[b - 1] == 'i' && !isIdent(s[b - 2]);
    bool dim = b >= 2 && s[b - 1] == 'x' && (std::isdigit(static_cast<unsigned char>(s[b - 2])) || s[b - 2] == '<');
    if (!inIdent || width || dim || (b > 0 && s[b - 1] == '<')) out.push_back({b, i});
  }
  return out;
}

/// Spans of `0x...` tokens.
std::vector<Span> hexTokens(const std::string& s) {
  std::vector<Span> out;
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] != '0' || s[i + 1] != 'x') continue;
    size_t e = i + 2;
    while (e < s.size() && std::isxdigit(static_cast<unsigned char>(s[e]))) ++e;
    if (e > i + 2) out.push_back({i, e});
    i = e;
  }
  return out;
}

/// Spans of `%name` value references (with the `%`).
std::vector<Span> valueTokens(const std::string& s) {
  std::vector<Span> out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') continue;
    size_t e = i + 1;
    while (e < s.size() && (isIdent(s[e]) || s[e] == '-' || s[e] == '#')) ++e;
    if (e > i + 1) out.push_back({i, e});
  }
  return out;
}

const std::vector<std::string>& typeNames() {
  static const std::vector<std::string> kTypes = {
      "i1", "i8", "i16", "i32", "i64", "f16", "bf16", "f32", "f64", "f8E4M3FN", "f8E5M2",
      "f8E4M3FNUZ", "f8E5M2FNUZ", "tf32", "index", "i0", "i3", "i128", "i2147483648",
      "!tt.ptr<f32>", "!tt.ptr<i1>", "!tt.ptr<!tt.ptr<f32>>", "tensor<4xi32>", "none"};
  return kTypes;
}

const std::vector<std::string>& opNames() {
  static const std::vector<std::string> kOps = {
      "arith.addi", "arith.addf", "arith.subi", "arith.muli", "arith.mulf", "arith.divsi",
      "arith.divf", "arith.remsi", "arith.andi", "arith.xori", "arith.shli", "arith.shrsi",
      "arith.maxnumf", "arith.minsi", "arith.cmpi", "arith.cmpf", "arith.select", "arith.extsi",
      "arith.extui", "arith.trunci", "arith.extf", "arith.truncf", "arith.sitofp",
      "arith.fptosi", "arith.bitcast", "arith.constant", "math.exp", "math.sqrt", "math.fma",
      "tt.splat", "tt.broadcast", "tt.expand_dims", "tt.reshape", "tt.trans", "tt.join",
      "tt.split", "tt.cat", "tt.gather", "tt.histogram", "tt.addptr", "tt.load", "tt.store",
      "tt.atomic_rmw", "tt.atomic_cas", "tt.dot", "tt.make_range", "tt.get_program_id",
      "tt.get_num_programs", "tt.reduce", "tt.scan", "tt.bitcast", "tt.fp_to_fp", "tt.unsplat",
      "tt.clampf", "tt.precise_sqrt", "tt.mulhiui", "tt.advance", "tt.make_tensor_ptr",
      "tt.return", "scf.yield", "scf.for", "scf.if", "scf.while", "scf.condition", "cf.br",
      "cf.cond_br", "tt.call", "ub.poison", "gpu.barrier", "tt.reduce.return", "tt.scan.return"};
  return kOps;
}

const std::vector<std::vector<std::string>>& opGroups();

/// Spans of op-name tokens from opNames() and opGroups() (whole identifiers only).
std::vector<Span> opTokens(const std::string& s) {
  std::vector<Span> out;
  for (size_t i = 0; i < s.size();) {
    if (!std::isalpha(static_cast<unsigned char>(s[i])) || (i > 0 && isIdent(s[i - 1]))) {
      ++i;
      continue;
    }
    size_t e = i;
    while (e < s.size() && isIdent(s[e])) ++e;
    std::string word = s.substr(i, e - i);
    bool known = std::find(opNames().begin(), opNames().end(), word) != opNames().end();
    for (const auto& g : opGroups()) known = known || std::find(g.begin(), g.end(), word) != g.end();
    if (known) out.push_back({i, e});
    i = e;
  }
  return out;
}

/// Spans of whole type-name tokens from typeNames() that are plain words.
std::vector<Span> typeTokens(const std::string& s) {
  std::vector<Span> out;
  for (size_t i = 0; i < s.size();) {
    if (!std::isalnum(static_cast<unsigned char>(s[i])) || (i > 0 && (isIdent(s[i - 1]) && s[i - 1] != 'x'))) {
      ++i;
      continue;
    }
    size_t e = i;
    while (e < s.size() && std::isalnum(static_cast<unsigned char>(s[e]))) ++e;
    std::string word = s.substr(i, e - i);
    if (word.size() > 1 && std::find(typeNames().begin(), typeNames().end(), word) != typeNames().end())
      out.push_back({i, e});
    i = e;
  }
  return out;
}

/// Spans of the shape part of `tensor<...x` (from after `<` up to the element type).
std::vector<Span> shapeTokens(const std::string& s) {
  std::vector<Span> out;
  for (size_t i = s.find("tensor<"); i != std::string::npos; i = s.find("tensor<", i + 1)) {
    size_t b = i + 7, e = b;
    while (e < s.size() && (std::isdigit(static_cast<unsigned char>(s[e])) || s[e] == 'x')) ++e;
    while (e > b && s[e - 1] != 'x') --e;  // keep the element type
    out.push_back({b, e});
  }
  return out;
}

template <typename T>
const T& pick(Rng& r, const std::vector<T>& v) {
  return v[r.below(v.size())];
}

/// Replaces every token span in `toks` whose text equals the text at `sp` by `with`.
std::string replaceAllLike(const std::string& s, const std::vector<Span>& toks, Span sp, const std::string& with) {
  std::string from = s.substr(sp.begin, sp.end - sp.begin), out;
  size_t last = 0;
  for (const Span& t : toks) {
    if (s.compare(t.begin, t.end - t.begin, from) != 0) continue;
    out += s.substr(last, t.begin - last) + with;
    last = t.end;
  }
  return out + s.substr(last);
}

/// Lines that are not location-alias definitions (deleting those only gives alias errors).
std::vector<Span> codeLines(const std::string& s) {
  std::vector<Span> out;
  for (const Span& l : lines(s))
    if (l.begin >= s.size() || s[l.begin] != '#') out.push_back(l);
  return out;
}

std::string byteFlip(const std::string& s, const std::string&, Rng& r) {
  if (s.empty()) return s;
  static const char kSyntax[] = "%#@<>(){}[],:=x-0123456789\"^! \n";
  std::string t = s;
  char& c = t[r.below(t.size())];
  switch (r.below(3)) {
    case 0: c = static_cast<char>(c ^ (1u << r.below(8))); break;
    case 1: c = kSyntax[r.below(sizeof kSyntax - 1)]; break;
    default: c = static_cast<char>(r.below(256)); break;
  }
  return t;
}

std::string deleteBytes(const std::string& s, const std::string&, Rng& r) {
  if (s.empty()) return s;
  size_t b = r.below(s.size());
  size_t n = 1 + r.below(std::min<size_t>(16, s.size() - b));
  return s.substr(0, b) + s.substr(b + n);
}

std::string intToken(const std::string& s, const std::string&, Rng& r) {
  std::vector<Span> toks = intTokens(s);
  if (toks.empty()) return s;
  Span sp = pick(r, toks);
  std::string with;
  if (r.chance(3, 4)) {
    with = pick(r, interestingIntegers());
  } else {  // a near neighbour of the current value
    long long v = std::strtoll(s.substr(sp.begin, sp.end - sp.begin).c_str(), nullptr, 10);
    static const long long kDelta[] = {-2, -1, 1, 2};
    long long d = kDelta[r.below(4)];
    if (r.chance(1, 3)) with = std::to_string(v < (1ll << 61) && v > -(1ll << 61) ? v * 2 : v);
    else with = std::to_string(v > -(1ll << 62) && v < (1ll << 62) ? v + d : v);
  }
  // Sometimes every equal token: shapes, ranges and constants then change together.
  if (r.chance(1, 3)) return replaceAllLike(s, toks, sp, with);
  return replaceSpan(s, sp, with);
}

std::string hexToken(const std::string& s, const std::string&, Rng& r) {
  std::vector<Span> toks = hexTokens(s);
  if (toks.empty()) return s;
  Span sp = pick(r, toks);
  static const char kHex[] = "0123456789ABCDEF";
  size_t len = sp.end - sp.begin - 2;
  switch (r.below(4)) {
    case 0: len = 1 + r.below(20); break;  // other length (dense blobs, > 64 bits)
    case 1: len = len * 2 + 1; break;
    default: break;
  }
  std::string with = "0x";
  bool extreme = r.chance(1, 3);
  char fill = kHex[r.chance(1, 2) ? 15 : 0];
  for (size_t i = 0; i < len; ++i) with += extreme ? fill : kHex[r.below(16)];
  return replaceSpan(s, sp, with);
}

std::string deleteLine(const std::string& s, const std::string&, Rng& r) {
  std::vector<Span> ls = codeLines(s);
  if (ls.empty()) return s;
  Span sp = pick(r, ls);
  return replaceSpan(s, {sp.begin, std::min(sp.end + 1, s.size())}, "");
}

std::string duplicateLine(const std::string& s, const std::string&, Rng& r) {
  std::vector<Span> ls = codeLines(s);
  if (ls.empty()) return s;
  Span sp = pick(r, ls);
  std::string line = s.substr(sp.begin, sp.end - sp.begin) + "\n";
  // A copied definition gets fresh result names (`%x = ...` → `%x_fz3 = ...`).
  size_t eq = line.find(" = ");
  size_t first = line.find_first_not_of(' ');
  if (eq != std::string::npos && first != std::string::npos && line[first] == '%') {
    std::string suffix = "_fz" + std::to_string(r.below(1000));
    std::string head = line.substr(0, eq), renamed;
    for (size_t i = 0; i < head.size(); ++i) {
      renamed += head[i];
      bool endOfName = (isIdent(head[i]) || head[i] == '-') &&
                       (i + 1 == head.size() || !(isIdent(head[i + 1]) || head[i + 1] == '-'));
      if (endOfName && head.rfind('%', i) != std::string::npos &&
          head.find_first_of(":, ", head.rfind('%', i)) > i)
        renamed += suffix;
    }
    line = renamed + line.substr(eq);
  }
  Span at = pick(r, ls);
  return s.substr(0, at.begin) + line + s.substr(at.begin);
}

std::string swapLines(const std::string& s, const std::string&, Rng& r) {
  std::vector<Span> ls = codeLines(s);
  if (ls.size() < 2) return s;
  size_t a = r.below(ls.size()), b = r.below(ls.size());
  if (a == b) return s;
  if (a > b) std::swap(a, b);
  std::string la = s.substr(ls[a].begin, ls[a].end - ls[a].begin);
  std::string lb = s.substr(ls[b].begin, ls[b].end - ls[b].begin);
  return s.substr(0, ls[a].begin) + lb + s.substr(ls[a].end, ls[b].begin - ls[a].end) + la +
         s.substr(ls[b].end);
}

std::string splice(const std::string& s, const std::string& other, Rng& r) {
  std::vector<Span> ls = lines(s), lo = lines(other);
  if (ls.empty() || lo.empty()) return s;
  size_t ob = r.below(lo.size()), on = 1 + r.below(std::min<size_t>(8, lo.size() - ob));
  std::string piece = other.substr(lo[ob].begin, lo[ob + on - 1].end - lo[ob].begin) + "\n";
  size_t at = r.below(ls.size());
  size_t drop = r.chance(1, 2) ? 0 : 1 + r.below(std::min<size_t>(on, ls.size() - at));
  size_t end = drop ? std::min(ls[at + drop - 1].end + 1, s.size()) : ls[at].begin;
  return s.substr(0, ls[at].begin) + piece + s.substr(end);
}

std::string typeName(const std::string& s, const std::string&, Rng& r) {
  std::vector<Span> toks = typeTokens(s);
  if (toks.empty()) return s;
  Span sp = pick(r, toks);
  if (r.chance(1, 3)) return replaceAllLike(s, toks, sp, pick(r, typeNames()));  // the whole input
  if (r.chance(1, 2)) {  // every occurrence of that spelling on its line: stays consistent
    std::string from = s.substr(sp.begin, sp.end - sp.begin), to = pick(r, typeNames());
    size_t lb = s.rfind('\n', sp.begin), le = s.find('\n', sp.end);
    lb = lb == std::string::npos ? 0 : lb + 1;
    le = le == std::string::npos ? s.size() : le;
    std::string line = s.substr(lb, le - lb);
    std::string out;
    for (size_t i = 0; i < line.size();) {
      bool word = line.compare(i, from.size(), from) == 0 &&
                  (i == 0 || !std::isalnum(static_cast<unsigned char>(line[i - 1])) || line[i - 1] == 'x') &&
                  (i + from.size() >= line.size() || !std::isalnum(static_cast<unsigned char>(line[i + from.size()])));
      if (word) {
        out += to;
        i += from.size();
      } else {
        out += line[i++];
      }
    }
    return s.substr(0, lb) + out + s.substr(le);
  }
  return replaceSpan(s, sp, pick(r, typeNames()));
}

std::string shapeDims(const std::string& s, const std::string&, Rng& r) {
  std::vector<Span> toks = shapeTokens(s);
  if (toks.empty()) return s;
  Span sp = pick(r, toks);
  static const char* kDims[] = {"1x", "2x", "4x", "16x", "0x", "3x", "1024x", "65536x"};
  std::string shape = s.substr(sp.begin, sp.end - sp.begin);
  switch (r.below(3)) {
    case 0: shape = kDims[r.below(8)] + shape; break;  // one more dimension
    case 1: {                                         // one fewer
      size_t x = shape.find('x');
      shape = x == std::string::npos ? shape : shape.substr(x + 1);
      break;
    }
    default: shape = std::string(kDims[r.below(8)]) + kDims[r.below(8)]; break;
  }
  return replaceSpan(s, sp, shape);
}

std::string dropOperand(const std::string& s, const std::string&, Rng& r) {
  std::vector<Span> toks = valueTokens(s);
  std::vector<Span> uses;
  for (const Span& t : toks) {  // operand uses: preceded by ", " or followed by ","
    bool after = t.end < s.size() && s[t.end] == ',';
    bool before = t.begin >= 2 && s[t.begin - 2] == ',' && s[t.begin - 1] == ' ';
    if (after || before) uses.push_back(t);
  }
  if (uses.empty()) return s;
  Span sp = pick(r, uses);
  if (sp.end + 1 < s.size() && s[sp.end] == ',' && s[sp.end + 1] == ' ') return replaceSpan(s, {sp.begin, sp.end + 2}, "");
  if (sp.begin >= 2 && s[sp.begin - 2] == ',') return replaceSpan(s, {sp.begin - 2, sp.end}, "");
  return replaceSpan(s, sp, "");
}

std::string swapValue(const std::string& s, const std::string&, Rng& r) {
  std::vector<Span> toks = valueTokens(s);
  if (toks.size() < 2) return s;
  size_t ai = 1 + r.below(toks.size() - 1);
  Span at = toks[ai], from = toks[r.below(ai)];  // a name seen earlier: usually defined
  return replaceSpan(s, at, s.substr(from.begin, from.end - from.begin));
}

/// Ops written alike (same custom form and operand kinds): swapping within a group keeps the
/// input parseable, so the verifier and the lowering see it.
const std::vector<std::vector<std::string>>& opGroups() {
  static const std::vector<std::vector<std::string>> kGroups = {
      {"arith.addi", "arith.subi", "arith.muli", "arith.divsi", "arith.divui", "arith.remsi", "arith.remui",
       "arith.andi", "arith.ori", "arith.xori", "arith.shli", "arith.shrui", "arith.shrsi", "arith.maxsi",
       "arith.maxui", "arith.minsi", "arith.minui", "arith.ceildivsi", "arith.floordivsi", "arith.ceildivui",
       "arith.mulhisi", "arith.mulhiui", "tt.mulhiui"},
      {"arith.addf", "arith.subf", "arith.mulf", "arith.divf", "arith.remf", "arith.maxnumf", "arith.minnumf",
       "arith.maximumf", "arith.minimumf", "math.copysign", "math.powf", "math.atan2", "tt.precise_divf"},
      {"math.exp", "math.exp2", "math.log", "math.log2", "math.log10", "math.log1p", "math.expm1", "math.sin",
       "math.cos", "math.tan", "math.tanh", "math.sqrt", "math.rsqrt", "math.absf", "math.floor", "math.ceil",
       "math.erf", "math.round", "math.roundeven", "math.trunc", "math.atan", "math.sinh", "math.cosh",
       "math.asin", "math.acos", "math.cbrt", "tt.precise_sqrt", "arith.negf"},
      {"math.absi", "math.ctlz", "math.cttz", "math.ctpop"},
      {"arith.extsi", "arith.extui", "arith.trunci", "arith.extf", "arith.truncf", "arith.sitofp",
       "arith.uitofp", "arith.fptosi", "arith.fptoui", "arith.bitcast", "arith.index_cast"},
      {"arith.cmpi", "arith.cmpf"},
      {"tt.splat", "tt.broadcast", "tt.expand_dims", "tt.trans", "tt.reshape", "tt.bitcast", "tt.fp_to_fp",
       "tt.int_to_ptr", "tt.ptr_to_int", "tt.histogram", "tt.split", "tt.join", "tt.cat"},
      {"tt.get_program_id", "tt.get_num_programs"},
      {"tt.reduce", "tt.scan"},
      {"tt.reduce.return", "tt.scan.return"},
      {"tt.load", "tt.store"},
  };
  return kGroups;
}

std::string opName(const std::string& s, const std::string&, Rng& r) {
  std::vector<Span> toks = opTokens(s);
  if (toks.empty()) return s;
  Span sp = pick(r, toks);
  std::string cur = s.substr(sp.begin, sp.end - sp.begin);
  if (r.chance(3, 4))
    for (const auto& g : opGroups())
      if (std::find(g.begin(), g.end(), cur) != g.end()) return replaceSpan(s, sp, pick(r, g));
  return replaceSpan(s, sp, pick(r, opNames()));
}

using MutFn = std::string (*)(const std::string&, const std::string&, Rng&);
struct Entry {
  const char* name;
  MutFn fn;
  int weight;
};

const Entry kTable[] = {
    {"byte-flip", byteFlip, 3},       {"delete-bytes", deleteBytes, 2},
    {"int-token", intToken, 6},       {"hex-token", hexToken, 2},
    {"delete-line", deleteLine, 3},   {"duplicate-line", duplicateLine, 2},
    {"swap-lines", swapLines, 2},     {"splice", splice, 2},
    {"type-name", typeName, 4},       {"shape-dims", shapeDims, 3},
    {"drop-operand", dropOperand, 3}, {"swap-value", swapValue, 3},
    {"op-name", opName, 4},
};
static_assert(sizeof kTable / sizeof kTable[0] == static_cast<size_t>(Mutation::kCount),
              "one table entry per Mutation");

}  // namespace

const char* mutationName(Mutation m) {
  size_t i = static_cast<size_t>(m);
  return i < static_cast<size_t>(Mutation::kCount) ? kTable[i].name : "?";
}

std::string mutateOnce(const std::string& input, const std::string& other, Rng& rng, Mutation m) {
  size_t i = static_cast<size_t>(m);
  if (i >= static_cast<size_t>(Mutation::kCount)) return input;
  return kTable[i].fn(input, other, rng);
}

std::string mutate(const std::string& input, const std::string& other, Rng& rng, int maxStack) {
  int total = 0;
  for (const Entry& e : kTable) total += e.weight;
  std::string s = input;
  int n = 1 + static_cast<int>(rng.below(static_cast<uint64_t>(std::max(1, maxStack))));
  for (int k = 0; k < n; ++k) {
    int w = static_cast<int>(rng.below(static_cast<uint64_t>(total)));
    size_t i = 0;
    while (w >= kTable[i].weight) w -= kTable[i++].weight;
    s = kTable[i].fn(s, other, rng);
  }
  return s;
}

}  // namespace tvk::fuzz
